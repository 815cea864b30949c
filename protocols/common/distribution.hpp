// Random quantities a workload draws: task sizes, service and cold-start times, on/off periods.
// One small value type, sampled from the project's Rng with our own mappings (never std::
// distributions, which differ between standard libraries), so a seed gives the same draws
// everywhere. Values are in the unit the caller chose (seconds, for every user in synod).
//
//   fixed        always `mean`                                  (SCV 0: M/D/1's D)
//   exponential  mean `mean`                                    (SCV 1: M/M/1's M)
//   uniform      in [lo, hi]; mean (lo+hi)/2
//   lognormal    mean `mean`, log-space standard deviation `sigma`; SCV = e^(sigma^2) - 1
//   pareto       mean `mean`, tail index `alpha` > 1; scale xm = mean (alpha-1)/alpha;
//                SCV = 1/(alpha (alpha-2)) for alpha > 2, infinite otherwise
#pragma once

#include <string>

#include "protocols/common/rng.hpp"

namespace synod {

struct Distribution {
  enum class Kind { Fixed, Exponential, Uniform, Lognormal, Pareto };
  Kind kind = Kind::Fixed;
  double mean_value = 0;  // fixed, exponential, lognormal, pareto
  double lo = 0, hi = 0;  // uniform
  double sigma = 0;       // lognormal
  double alpha = 0;       // pareto

  static Distribution fixed(double v);
  static Distribution exponential(double mean);
  static Distribution uniform(double lo, double hi);
  static Distribution lognormal(double mean, double sigma);
  static Distribution pareto(double mean, double alpha);

  double sample(Rng& rng) const;  // >= 0
  double mean() const;
  // Squared coefficient of variation, Var/mean^2 (infinite for pareto with alpha <= 2): the one
  // number Pollaczek-Khinchine needs.
  double scv() const;
  // "exponential(mean 1)", for reports.
  std::string describe() const;
};

const char* distribution_kind_name(Distribution::Kind k);

// An exponential draw with rate `rate` (mean 1/rate), the building block of Poisson arrivals.
double exponential_draw(Rng& rng, double rate);

}  // namespace synod
