#include "protocols/common/distribution.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace synod {

namespace {

// A uniform draw in (0, 1]: safe to take the log of.
double open_unit(Rng& rng) { return 1.0 - rng.unit(); }

// Box-Muller, one normal per call (the second is thrown away so a draw is one fixed pair of
// uniforms, whatever was drawn before).
double standard_normal(Rng& rng) {
  const double u1 = open_unit(rng);
  const double u2 = rng.unit();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

}  // namespace

Distribution Distribution::fixed(double v) {
  Distribution d;
  d.kind = Kind::Fixed;
  d.mean_value = v;
  return d;
}

Distribution Distribution::exponential(double mean) {
  Distribution d;
  d.kind = Kind::Exponential;
  d.mean_value = mean;
  return d;
}

Distribution Distribution::uniform(double lo, double hi) {
  Distribution d;
  d.kind = Kind::Uniform;
  d.lo = lo;
  d.hi = hi;
  return d;
}

Distribution Distribution::lognormal(double mean, double sigma) {
  Distribution d;
  d.kind = Kind::Lognormal;
  d.mean_value = mean;
  d.sigma = sigma;
  return d;
}

Distribution Distribution::pareto(double mean, double alpha) {
  Distribution d;
  d.kind = Kind::Pareto;
  d.mean_value = mean;
  d.alpha = alpha;
  return d;
}

double exponential_draw(Rng& rng, double rate) { return -std::log(open_unit(rng)) / rate; }

double Distribution::sample(Rng& rng) const {
  switch (kind) {
    case Kind::Fixed:
      return mean_value;
    case Kind::Exponential:
      return mean_value * -std::log(open_unit(rng));
    case Kind::Uniform:
      return lo + (hi - lo) * rng.unit();
    case Kind::Lognormal: {
      const double mu = std::log(mean_value) - sigma * sigma / 2;
      return std::exp(mu + sigma * standard_normal(rng));
    }
    case Kind::Pareto: {
      const double xm = mean_value * (alpha - 1) / alpha;
      return xm / std::pow(open_unit(rng), 1.0 / alpha);
    }
  }
  return 0;
}

double Distribution::mean() const {
  return kind == Kind::Uniform ? (lo + hi) / 2 : mean_value;
}

double Distribution::scv() const {
  switch (kind) {
    case Kind::Fixed:
      return 0;
    case Kind::Exponential:
      return 1;
    case Kind::Uniform: {
      const double m = mean();
      return m == 0 ? 0 : (hi - lo) * (hi - lo) / 12 / (m * m);
    }
    case Kind::Lognormal:
      return std::exp(sigma * sigma) - 1;
    case Kind::Pareto:
      return alpha > 2 ? 1 / (alpha * (alpha - 2)) : std::numeric_limits<double>::infinity();
  }
  return 0;
}

const char* distribution_kind_name(Distribution::Kind k) {
  switch (k) {
    case Distribution::Kind::Fixed: return "fixed";
    case Distribution::Kind::Exponential: return "exponential";
    case Distribution::Kind::Uniform: return "uniform";
    case Distribution::Kind::Lognormal: return "lognormal";
    case Distribution::Kind::Pareto: return "pareto";
  }
  return "?";
}

std::string Distribution::describe() const {
  switch (kind) {
    case Kind::Fixed:
      return fmt::format("fixed({:g})", mean_value);
    case Kind::Exponential:
      return fmt::format("exponential(mean {:g})", mean_value);
    case Kind::Uniform:
      return fmt::format("uniform({:g}, {:g})", lo, hi);
    case Kind::Lognormal:
      return fmt::format("lognormal(mean {:g}, sigma {:g})", mean_value, sigma);
    case Kind::Pareto:
      return fmt::format("pareto(mean {:g}, alpha {:g})", mean_value, alpha);
  }
  return "?";
}

}  // namespace synod
