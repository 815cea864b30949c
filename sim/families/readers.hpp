// Readers the workload families share (tasks, serverless): a random quantity in seconds, and a
// CSV file of numbers named relative to the scenario file. Errors name the scenario file and
// line, or the CSV file and its line.
#pragma once

#include <string>
#include <vector>

#include "protocols/common/distribution.hpp"
#include "sim/scenario/reader.hpp"

namespace synod::sim {

// `1s` (fixed), or {dist: fixed|exponential|uniform|lognormal|pareto, mean: 1s, lo: .., hi: ..,
// sigma: 0.5, alpha: 2.5}, in seconds.
Distribution read_distribution(const Reader& rd, const Item& item, const std::string& context);

// The rows of a CSV file as numbers: `columns` per row, a first line that is not numbers is a
// header and skipped, blank lines and lines starting with '#' skipped. `item` is the file name
// in the scenario (resolved from the scenario's folder).
struct CsvRow {
  int line = 0;
  std::vector<double> values;
};
std::vector<CsvRow> read_csv_numbers(const Reader& rd, const Item& item, size_t columns,
                                     const std::string& expected_columns, std::string* path_out);

}  // namespace synod::sim
