#include "protocols/serverless/messages.hpp"

#include <fmt/format.h>

namespace synod::faas {

std::string Invoke::describe() const { return fmt::format("FaasInvoke i{} f{}", id, function); }
std::string Result::describe() const {
  return rejected ? fmt::format("FaasResult i{} rejected", id)
                  : fmt::format("FaasResult i{} {}", id, cold ? "cold" : "warm");
}
std::string Start::describe() const {
  return fmt::format("FaasStart #{} f{} i{}", instance, function, invocation);
}
std::string Run::describe() const { return fmt::format("FaasRun #{} i{}", instance, invocation); }
std::string Done::describe() const { return fmt::format("FaasDone #{} i{}", instance, invocation); }
std::string Stop::describe() const { return fmt::format("FaasStop #{}", instance); }

}  // namespace synod::faas
