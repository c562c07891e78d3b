// Boost.Asio and Boost.Beast are header-only; with *_SEPARATE_COMPILATION their non-template
// implementation is compiled once, here, instead of in every translation unit that includes
// them. This keeps the two-preset CI build well inside its time budget on two cores.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
