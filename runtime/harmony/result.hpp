#pragma once
// A value or an error message. Harmony input (conversations from users, tokens from the model)
// is untrusted, so every public operation that can fail returns one of these instead of
// throwing.
#include <string>
#include <utility>
#include <variant>

namespace ossa::harmony {

struct Error {
  std::string message;
};

template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}      // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // Empty when ok().
  const std::string& error() const {
    static const std::string none;
    return ok() ? none : std::get<1>(v_).message;
  }

 private:
  std::variant<T, Error> v_;
};

}  // namespace ossa::harmony
