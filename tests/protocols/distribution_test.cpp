// Distributions drawn from the project's Rng: their sample mean and squared coefficient of
// variation match the closed forms, so a queueing model fed by them is the model it claims to be.
#include <gtest/gtest.h>

#include <cmath>

#include "protocols/common/distribution.hpp"

namespace synod {
namespace {

struct Moments {
  double mean = 0;
  double scv = 0;
};

Moments sample_moments(const Distribution& d, int n, uint64_t seed) {
  Rng rng(seed);
  double sum = 0, sum2 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = d.sample(rng);
    EXPECT_GE(x, 0);
    sum += x;
    sum2 += x * x;
  }
  Moments m;
  m.mean = sum / n;
  m.scv = (sum2 / n - m.mean * m.mean) / (m.mean * m.mean);
  return m;
}

TEST(Distribution, SampleMomentsMatchTheClosedForms) {
  const int n = 400'000;
  struct Case {
    Distribution d;
    double scv_tolerance;
  } cases[] = {
      {Distribution::fixed(2.5), 1e-9},
      {Distribution::exponential(1.991), 0.02},
      {Distribution::uniform(1, 3), 0.01},
      {Distribution::lognormal(1.0, 0.5), 0.02},
      {Distribution::pareto(1.0, 4.5), 0.05},  // finite fourth moment: the SCV estimate settles
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.d.describe());
    const Moments m = sample_moments(c.d, n, 7);
    EXPECT_NEAR(m.mean / c.d.mean(), 1.0, 0.01);
    EXPECT_NEAR(m.scv, c.d.scv(), c.scv_tolerance + 0.02 * c.d.scv());
  }
}

TEST(Distribution, ScvClosedForms) {
  EXPECT_EQ(Distribution::fixed(3).scv(), 0);
  EXPECT_EQ(Distribution::exponential(3).scv(), 1);
  EXPECT_DOUBLE_EQ(Distribution::uniform(0, 2).scv(), 1.0 / 3);
  EXPECT_DOUBLE_EQ(Distribution::lognormal(1, 1).scv(), std::exp(1.0) - 1);
  EXPECT_DOUBLE_EQ(Distribution::pareto(1, 3).scv(), 1.0 / 3);
  EXPECT_TRUE(std::isinf(Distribution::pareto(1, 1.5).scv()));
}

TEST(Distribution, ParetoNeverBelowItsScale) {
  const Distribution d = Distribution::pareto(2.0, 3.0);  // xm = 2 * 2/3
  Rng rng(3);
  for (int i = 0; i < 10'000; ++i) EXPECT_GE(d.sample(rng), 4.0 / 3 - 1e-12);
}

TEST(Distribution, SameSeedSameDraws) {
  const Distribution d = Distribution::lognormal(1.0, 0.8);
  Rng a(42), b(42);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(d.sample(a), d.sample(b));
}

TEST(Distribution, ExponentialDrawHasRateOneOverMean) {
  Rng rng(11);
  double sum = 0;
  for (int i = 0; i < 200'000; ++i) sum += exponential_draw(rng, 4.0);
  EXPECT_NEAR(sum / 200'000, 0.25, 0.0025);
}

}  // namespace
}  // namespace synod
