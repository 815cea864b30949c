// Closed-form queueing results (see queueing.hpp for the formulas and their sources).
#include "analysis/queueing.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace synod::analysis::queueing {
namespace {

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("queueing: " + what);
}

// A rate or a time must be a finite positive number; NaN fails every comparison, so it is caught
// by the same test.
void require_positive(double x, const char* name) {
  require(std::isfinite(x) && x > 0, std::string(name) + " must be finite and > 0, got " +
                                         std::to_string(x));
}

void check_mmc(int c, double lambda, double mu) {
  require(c >= 1, "c (servers) must be >= 1, got " + std::to_string(c));
  require_positive(lambda, "lambda");
  require_positive(mu, "mu");
  const double rho = lambda / (c * mu);
  require(rho < 1, "M/M/c is unstable: rho = lambda / (c mu) = " + std::to_string(rho) +
                       " must be < 1");
}

}  // namespace

double erlang_c(int c, double lambda, double mu) {
  check_mmc(c, lambda, mu);
  const double a = lambda / mu;
  const double rho = a / c;
  // The textbook form a^c / c! overflows long before c = 1000 (and loses precision well before
  // that); the Erlang B recursion stays in [0, 1] at every step, so it is stable for any c.
  double b = 1;
  for (int k = 1; k <= c; ++k) b = a * b / (k + a * b);
  return b / (1 - rho * (1 - b));
}

double mmc_mean_wait(int c, double lambda, double mu) {
  return erlang_c(c, lambda, mu) / (c * mu - lambda);
}

double mmc_mean_response(int c, double lambda, double mu) {
  return mmc_mean_wait(c, lambda, mu) + 1 / mu;
}

double mg1_mean_wait(double lambda, double mean_service, double scv) {
  require_positive(lambda, "lambda");
  require_positive(mean_service, "mean_service");
  require(std::isfinite(scv) && scv >= 0,
          "scv (squared coefficient of variation) must be finite and >= 0, got " +
              std::to_string(scv));
  const double rho = lambda * mean_service;
  require(rho < 1, "M/G/1 is unstable: rho = lambda mean_service = " + std::to_string(rho) +
                       " must be < 1");
  const double second_moment = mean_service * mean_service * (1 + scv);
  return lambda * second_moment / (2 * (1 - rho));
}

double supermarket_mean_response(double lambda, int d) {
  require(d >= 1, "d (queues sampled per arrival) must be >= 1, got " + std::to_string(d));
  require(std::isfinite(lambda) && lambda > 0 && lambda < 1,
          "supermarket model needs 0 < lambda < 1 (load per server), got " +
              std::to_string(lambda));
  if (d == 1) return 1 / (1 - lambda);
  // The exponent e_i = (d^i - d) / (d - 1) is kept in a double and advanced by
  // e_{i+1} = d e_i + d rather than from d^i, which would overflow an int after a few dozen
  // terms when lambda is close to 1. It grows doubly exponentially, so the loop is short.
  double total = 0;
  double exponent = 0;
  for (;;) {
    const double term = std::pow(lambda, exponent);
    total += term;
    if (term < 1e-15) break;
    exponent = d * exponent + d;
  }
  return total;
}

double pbs_stale_probability(int n, int r, int w) {
  require(n >= 1, "n (replicas) must be >= 1, got " + std::to_string(n));
  require(r >= 1 && r <= n, "r (read quorum) must be in [1, n], got r = " + std::to_string(r) +
                                " with n = " + std::to_string(n));
  require(w >= 1 && w <= n, "w (write quorum) must be in [1, n], got w = " + std::to_string(w) +
                                " with n = " + std::to_string(n));
  if (r + w > n) return 0;
  // C(n - w, r) / C(n, r) as a product of r ratios, each in (0, 1]: the binomials themselves
  // overflow for large n, the ratio does not.
  double p = 1;
  for (int k = 0; k < r; ++k) p *= static_cast<double>(n - w - k) / (n - k);
  return p;
}

}  // namespace synod::analysis::queueing
