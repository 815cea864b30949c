// Closed-form queueing results that the simulator's validation tests and docs compare measured
// latencies against. Each function is a textbook formula, computed so that it stays accurate over
// the inputs a scenario can produce: the probability of waiting and mean wait of M/M/c (Erlang C,
// after Kleinrock, "Queueing Systems", vol. 1), the mean wait of M/G/1 (Pollaczek-Khinchine), the
// mean response time of the supermarket model, where each arrival joins the shortest of d queues
// picked at random (Mitzenmacher 2001, "The power of two choices in randomized load balancing"),
// and the chance that a read quorum misses a just-committed write (Bailis et al. 2012,
// "Probabilistically Bounded Staleness for practical partial quorums").
//
// Units: rates are per second and times are in seconds. Every function throws
// std::invalid_argument, naming the bad argument, when its input is outside the formula's domain
// (an unstable queue, rho >= 1, included): a number from a formula applied outside it would be
// silently wrong.
#pragma once

namespace synod::analysis::queueing {

// Probability that an arrival waits in an M/M/c queue: c servers of rate mu, Poisson arrivals of
// rate lambda. Needs c >= 1, lambda > 0, mu > 0 and rho = lambda / (c mu) < 1.
double erlang_c(int c, double lambda, double mu);

// Mean time an arrival spends waiting in the queue of M/M/c, before its service starts:
// Wq = C(c, lambda / mu) / (c mu - lambda).
double mmc_mean_wait(int c, double lambda, double mu);

// Mean time in system of M/M/c: the mean wait plus the mean service time 1 / mu.
double mmc_mean_response(int c, double lambda, double mu);

// Mean wait in queue of M/G/1 (Pollaczek-Khinchine): Wq = lambda E[S^2] / (2 (1 - rho)), where
// E[S^2] = mean_service^2 (1 + scv) and rho = lambda mean_service. scv is the squared coefficient
// of variation of the service time: 0 for M/D/1, 1 for M/M/1. Needs lambda > 0,
// mean_service > 0, scv >= 0 and rho < 1.
double mg1_mean_wait(double lambda, double mean_service, double scv);

// Mean time in system of the supermarket model as the number of servers n goes to infinity: each
// server has rate 1, arrivals come at rate lambda n, and each joins the shortest of d queues chosen
// uniformly at random. d = 1 is random assignment, so every queue is M/M/1: 1 / (1 - lambda).
// For d >= 2 the fixed point (Mitzenmacher 2001) gives sum_{i>=1} lambda^((d^i - d) / (d - 1)).
// Needs 0 < lambda < 1 and d >= 1.
double supermarket_mean_response(double lambda, int d);

// Probability that a read quorum of r of n replicas, chosen uniformly, contains none of the w
// replicas that hold a write at the moment it commits: C(n - w, r) / C(n, r), and 0 when
// r + w > n (the quorums must intersect). Needs n >= 1 and 1 <= r, w <= n.
double pbs_stale_probability(int n, int r, int w);

}  // namespace synod::analysis::queueing
