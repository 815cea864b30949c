// The closed forms of analysis/queueing.hpp against values known independently: exact rationals
// worked by hand, the same quantity computed a different way in the test (direct Erlang C sum,
// Little's law on the supermarket fixed point, enumerating quorums), and one formula against
// another where they must agree (P-K with scv = 1 is M/M/1).
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "analysis/queueing.hpp"

namespace synod::analysis::queueing {
namespace {

// Erlang C from its definition, in log space so that c = 100 does not overflow:
// C = T / (sum_{k<c} a^k / k! + T), with T = a^c / c! / (1 - rho).
double erlang_c_direct(int c, double a) {
  const double rho = a / c;
  auto log_term = [a](int k) { return k * std::log(a) - std::lgamma(k + 1.0); };
  const double log_top = log_term(c) - std::log(1 - rho);
  // Scale everything by exp(-log_top) to keep the sum near 1.
  double sum = 0;
  for (int k = 0; k < c; ++k) sum += std::exp(log_term(k) - log_top);
  return 1 / (sum + 1);
}

TEST(Queueing, MM1WaitIsRhoOverMuMinusLambda) {
  for (double lambda : {0.1, 0.5, 0.9, 0.99}) {
    const double mu = 1;
    const double rho = lambda / mu;
    EXPECT_NEAR(erlang_c(1, lambda, mu), rho, 1e-12) << "lambda " << lambda;
    EXPECT_NEAR(mmc_mean_wait(1, lambda, mu), rho / (mu - lambda), 1e-9) << "lambda " << lambda;
    EXPECT_NEAR(mmc_mean_response(1, lambda, mu), 1 / (mu - lambda), 1e-9) << "lambda " << lambda;
  }
  // Units: rates need not be 1. lambda = 30/s, mu = 40/s: Wq = 0.75 / 10 = 0.075 s.
  EXPECT_NEAR(mmc_mean_wait(1, 30, 40), 0.075, 1e-12);
  EXPECT_NEAR(mmc_mean_wait(1, 0.9, 1), 9.0, 1e-9);
}

TEST(Queueing, ErlangCExactValues) {
  // c = 2, a = 1: B(1) = 1/2, B(2) = 1/5, C = (1/5) / (1 - (1/2)(4/5)) = 1/3.
  EXPECT_NEAR(erlang_c(2, 1, 1), 1.0 / 3, 1e-12);
  // c = 3, a = 2: sum_{k<3} a^k/k! = 5, (a^3/3!) / (1 - 2/3) = 4, so C = 4 / 9.
  EXPECT_NEAR(erlang_c(3, 2, 1), 4.0 / 9, 1e-12);
  // Only a = lambda / mu matters: c = 3, lambda = 10/s, mu = 5/s is the same queue.
  EXPECT_NEAR(erlang_c(3, 10, 5), 4.0 / 9, 1e-12);
  // c = 10, a = 9 (rho = 0.9): 0.66873 (direct sum, also computed below).
  EXPECT_NEAR(erlang_c(10, 9, 1), 0.66873, 1e-5);
  EXPECT_NEAR(mmc_mean_wait(10, 9, 1), 0.66873, 1e-5);  // c mu - lambda = 1
  EXPECT_NEAR(mmc_mean_response(10, 9, 1), 1.66873, 1e-5);
}

TEST(Queueing, ErlangCMatchesDirectSum) {
  for (int c : {1, 2, 5, 10, 50, 100}) {
    for (double rho : {0.1, 0.5, 0.8, 0.95}) {
      const double a = rho * c;
      EXPECT_NEAR(erlang_c(c, a, 1), erlang_c_direct(c, a), 1e-10) << "c " << c << " rho " << rho;
    }
  }
}

TEST(Queueing, ErlangCLargeCIsStable) {
  // a^1000 / 1000! would overflow a double; the recursion must still give a probability, and
  // agree with the log-space sum.
  const double c_value = erlang_c(1000, 950, 1);
  EXPECT_TRUE(std::isfinite(c_value));
  EXPECT_GT(c_value, 0);
  EXPECT_LT(c_value, 1);
  EXPECT_NEAR(c_value, erlang_c_direct(1000, 950), 1e-9);
}

TEST(Queueing, ErlangCDecreasesWithServersAtFixedRho) {
  // Economy of scale: at the same utilisation, more servers means fewer arrivals wait.
  for (double rho : {0.5, 0.8, 0.95}) {
    double previous = erlang_c(1, rho, 1);
    EXPECT_NEAR(previous, rho, 1e-12);
    for (int c = 2; c <= 64; ++c) {
      const double current = erlang_c(c, rho * c, 1);
      EXPECT_LT(current, previous) << "c " << c << " rho " << rho;
      previous = current;
    }
  }
}

TEST(Queueing, PollaczekKhinchineMatchesMM1AndHalvesForMD1) {
  for (double lambda : {0.2, 0.5, 0.9}) {
    const double mu = 2;
    const double mm1 = (lambda / mu) / (mu - lambda);
    EXPECT_NEAR(mg1_mean_wait(lambda, 1 / mu, 1), mm1, 1e-12) << "lambda " << lambda;
    EXPECT_NEAR(mg1_mean_wait(lambda, 1 / mu, 1), mmc_mean_wait(1, lambda, mu), 1e-12);
    EXPECT_NEAR(mg1_mean_wait(lambda, 1 / mu, 0), mm1 / 2, 1e-12) << "lambda " << lambda;
  }
  // Hand-worked: lambda = 0.5, E[S] = 1, scv = 3 (E[S^2] = 4): Wq = 0.5 * 4 / (2 * 0.5) = 2.
  EXPECT_NEAR(mg1_mean_wait(0.5, 1, 3), 2.0, 1e-12);
}

// The supermarket fixed point (Mitzenmacher 2001): the fraction of queues with at least i jobs is
// s_i = lambda^((d^i - 1) / (d - 1)). Little's law then gives T = (sum_{i>=1} s_i) / lambda,
// summed here over integer powers of d, where the library uses a recurrence on the exponent.
double supermarket_by_littles_law(double lambda, int d) {
  double queue_length = 0;
  long long d_pow = d;  // d^i
  for (int i = 1; i <= 20 && d_pow < (1LL << 40); ++i, d_pow *= d) {
    queue_length += std::pow(lambda, static_cast<double>(d_pow - 1) / (d - 1));
  }
  return queue_length / lambda;
}

TEST(Queueing, SupermarketTwoChoicesAtNinetyPercent) {
  // 1 + 0.9^2 + 0.9^6 + 0.9^14 + ... = 2.6141 (to 4 decimals), against 10 for random assignment.
  const double t = supermarket_mean_response(0.9, 2);
  EXPECT_NEAR(t, 2.6141, 5e-5);
  EXPECT_NEAR(t, supermarket_by_littles_law(0.9, 2), 1e-12);
  EXPECT_NEAR(supermarket_mean_response(0.9, 3), 2.0279, 5e-5);
}

TEST(Queueing, SupermarketMatchesLittlesLaw) {
  for (int d : {2, 3, 5}) {
    for (double lambda : {0.1, 0.5, 0.9, 0.99}) {
      EXPECT_NEAR(supermarket_mean_response(lambda, d), supermarket_by_littles_law(lambda, d),
                  1e-10)
          << "d " << d << " lambda " << lambda;
    }
  }
}

TEST(Queueing, SupermarketOneChoiceIsMM1) {
  for (double lambda : {0.1, 0.5, 0.9, 0.99}) {
    EXPECT_NEAR(supermarket_mean_response(lambda, 1), 1 / (1 - lambda), 1e-9);
    EXPECT_NEAR(supermarket_mean_response(lambda, 1), mmc_mean_response(1, lambda, 1), 1e-9);
  }
  EXPECT_NEAR(supermarket_mean_response(0.9, 1), 10.0, 1e-9);
}

TEST(Queueing, SupermarketMoreChoicesHelpAndHeavyLoadTerminates) {
  for (double lambda : {0.5, 0.9, 0.999}) {
    EXPECT_LT(supermarket_mean_response(lambda, 2), supermarket_mean_response(lambda, 1));
    EXPECT_LT(supermarket_mean_response(lambda, 3), supermarket_mean_response(lambda, 2));
  }
  // Near saturation the sum grows only like log_d(1 / (1 - lambda)), far below 1 / (1 - lambda).
  const double t = supermarket_mean_response(1 - 1e-9, 2);
  EXPECT_TRUE(std::isfinite(t));
  EXPECT_GT(t, 20);
  EXPECT_LT(t, 40);
}

// Counts the read quorums (subsets of size r of n replicas) that miss the w replicas holding the
// write, by enumerating every subset; by symmetry the write set can be replicas 0..w-1.
double pbs_by_enumeration(int n, int r, int w) {
  const unsigned write_set = (1u << w) - 1;
  int quorums = 0;
  int stale = 0;
  for (unsigned s = 0; s < (1u << n); ++s) {
    if (__builtin_popcount(s) != r) continue;
    ++quorums;
    if ((s & write_set) == 0) ++stale;
  }
  return static_cast<double>(stale) / quorums;
}

TEST(Queueing, PbsStaleProbabilityKnownValues) {
  EXPECT_NEAR(pbs_stale_probability(3, 1, 1), 2.0 / 3, 1e-12);
  EXPECT_EQ(pbs_stale_probability(3, 2, 2), 0.0);
  EXPECT_NEAR(pbs_stale_probability(5, 1, 1), 4.0 / 5, 1e-12);
  // C(3, 2) / C(5, 2) = 3 / 10.
  EXPECT_NEAR(pbs_stale_probability(5, 2, 2), 0.3, 1e-12);
  EXPECT_EQ(pbs_stale_probability(5, 3, 3), 0.0);
  // r + w = n: the quorums can just miss each other.
  EXPECT_NEAR(pbs_stale_probability(4, 2, 2), 1.0 / 6, 1e-12);
}

TEST(Queueing, PbsMatchesEnumeration) {
  for (int n = 1; n <= 10; ++n) {
    for (int r = 1; r <= n; ++r) {
      for (int w = 1; w <= n; ++w) {
        EXPECT_NEAR(pbs_stale_probability(n, r, w), pbs_by_enumeration(n, r, w), 1e-12)
            << "n " << n << " r " << r << " w " << w;
      }
    }
  }
}

TEST(Queueing, InvalidInputsThrow) {
  EXPECT_THROW(erlang_c(0, 0.5, 1), std::invalid_argument);         // c < 1
  EXPECT_THROW(erlang_c(2, 2, 1), std::invalid_argument);           // rho = 1
  EXPECT_THROW(erlang_c(2, 3, 1), std::invalid_argument);           // rho > 1
  EXPECT_THROW(erlang_c(2, 0, 1), std::invalid_argument);           // lambda = 0
  EXPECT_THROW(erlang_c(2, -1, 1), std::invalid_argument);          // lambda < 0
  EXPECT_THROW(erlang_c(2, 1, 0), std::invalid_argument);           // mu = 0
  EXPECT_THROW(erlang_c(2, NAN, 1), std::invalid_argument);
  EXPECT_THROW(mmc_mean_wait(1, 1, 1), std::invalid_argument);
  EXPECT_THROW(mmc_mean_response(1, 2, 1), std::invalid_argument);
  EXPECT_THROW(mg1_mean_wait(1, 1, 1), std::invalid_argument);      // rho = 1
  EXPECT_THROW(mg1_mean_wait(0, 1, 1), std::invalid_argument);      // lambda = 0
  EXPECT_THROW(mg1_mean_wait(0.5, 0, 1), std::invalid_argument);    // mean_service = 0
  EXPECT_THROW(mg1_mean_wait(0.5, 1, -0.1), std::invalid_argument);  // scv < 0
  EXPECT_THROW(supermarket_mean_response(1, 2), std::invalid_argument);
  EXPECT_THROW(supermarket_mean_response(0, 2), std::invalid_argument);
  EXPECT_THROW(supermarket_mean_response(1.5, 1), std::invalid_argument);
  EXPECT_THROW(supermarket_mean_response(0.5, 0), std::invalid_argument);  // d < 1
  EXPECT_THROW(pbs_stale_probability(0, 1, 1), std::invalid_argument);
  EXPECT_THROW(pbs_stale_probability(3, 0, 1), std::invalid_argument);
  EXPECT_THROW(pbs_stale_probability(3, 1, 0), std::invalid_argument);
  EXPECT_THROW(pbs_stale_probability(3, 4, 1), std::invalid_argument);
  EXPECT_THROW(pbs_stale_probability(3, 1, 4), std::invalid_argument);
}

TEST(Queueing, ErrorMessageNamesTheProblem) {
  try {
    erlang_c(2, 3, 1);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("rho"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace synod::analysis::queueing
