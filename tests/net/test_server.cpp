#include "tests/net/test_server.hpp"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <stdexcept>
#include <thread>

namespace ossa::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::string ServerRequest::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (beast::iequals(k, name)) return v;
  return {};
}

TestCertificate make_test_certificate(const std::string& dns_name, bool with_ip) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (!key) throw std::runtime_error("EVP_EC_gen failed");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(dns_name.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  std::string san = "DNS:" + dns_name + (with_ip ? ",IP:127.0.0.1" : "");
  for (auto [nid, value] : {std::pair<int, std::string>{NID_subject_alt_name, san},
                            {NID_basic_constraints, "critical,CA:TRUE"},
                            {NID_key_usage, "critical,digitalSignature,keyCertSign"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, key, EVP_sha256());
  auto to_pem = [](auto write) {
    BIO* bio = BIO_new(BIO_s_mem());
    write(bio);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string s(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    return s;
  };
  TestCertificate out;
  out.cert_pem = to_pem([&](BIO* b) { PEM_write_bio_X509(b, x); });
  out.key_pem = to_pem(
      [&](BIO* b) { PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); });
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

struct TestServer::Impl {
  Handler handler;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::unique_ptr<ssl::context> tls;
  bool ipv6 = false;
  std::thread thread;
  mutable std::mutex mutex;
  std::vector<ServerRequest> requests;
  std::atomic<std::size_t> accepted{0};

  template <class Stream>
  asio::awaitable<void> serve(Stream& s, beast::tcp_stream& lowest) {
    beast::flat_buffer buf;
    for (;;) {
      http::request<http::string_body> req;
      beast::error_code ec;
      co_await http::async_read(s, buf, req, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      ServerRequest sr;
      sr.method = std::string(req.method_string());
      sr.target = std::string(req.target());
      for (const auto& f : req) sr.headers.emplace_back(f.name_string(), f.value());
      sr.body = req.body();
      {
        std::lock_guard lock(mutex);
        requests.push_back(sr);
      }
      ServerReply reply = handler(sr);
      asio::steady_timer timer(io);
      if (reply.delay.count()) {
        timer.expires_after(reply.delay);
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      http::response<http::empty_body> head{static_cast<http::status>(reply.status), 11};
      bool has_type = false;
      for (const auto& [k, v] : reply.headers) {
        head.set(k, v);
        if (beast::iequals(k, "content-type")) has_type = true;
      }
      if (!has_type) head.set(http::field::content_type, "text/html; charset=utf-8");
      if (reply.chunked)
        head.chunked(true);
      else
        head.content_length(reply.body.size());
      head.keep_alive(!reply.close && req.keep_alive());
      http::response_serializer<http::empty_body> ser(head);
      co_await http::async_write_header(s, ser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      if (reply.body_delay.count()) {
        timer.expires_after(reply.body_delay);
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      if (reply.chunked) {
        for (std::size_t i = 0; i < reply.body.size(); i += reply.chunk_size) {
          std::string piece = reply.body.substr(i, reply.chunk_size);
          co_await asio::async_write(s, http::make_chunk(asio::buffer(piece)),
                                     asio::redirect_error(asio::use_awaitable, ec));
          if (ec) co_return;
        }
        co_await asio::async_write(s, http::make_chunk_last(),
                                   asio::redirect_error(asio::use_awaitable, ec));
      } else if (!reply.body.empty()) {
        co_await asio::async_write(s, asio::buffer(reply.body),
                                   asio::redirect_error(asio::use_awaitable, ec));
      }
      if (ec || !head.keep_alive()) {
        lowest.socket().shutdown(tcp::socket::shutdown_send, ec);
        co_return;
      }
    }
  }

  asio::awaitable<void> session(tcp::socket sock) {
    beast::tcp_stream stream(std::move(sock));
    if (tls) {
      beast::ssl_stream<beast::tcp_stream&> s(stream, *tls);
      beast::error_code ec;
      co_await s.async_handshake(ssl::stream_base::server,
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      co_await serve(s, stream);
    } else {
      co_await serve(stream, stream);
    }
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      beast::error_code ec;
      tcp::socket sock = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      ++accepted;
      asio::co_spawn(io, session(std::move(sock)), asio::detached);
    }
  }
};

TestServer::TestServer(Handler handler, const TestCertificate* cert, bool ipv6)
    : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  impl_->ipv6 = ipv6;
  if (cert) {
    impl_->tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    impl_->tls->use_certificate_chain(asio::buffer(cert->cert_pem));
    impl_->tls->use_private_key(asio::buffer(cert->key_pem), ssl::context::pem);
  }
  tcp::endpoint ep(ipv6 ? asio::ip::make_address("::1") : asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

TestServer::~TestServer() {
  impl_->io.stop();
  impl_->thread.join();
}

unsigned short TestServer::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string TestServer::base_url(const std::string& host) const {
  std::string h = host.empty() ? (impl_->ipv6 ? "[::1]" : "127.0.0.1") : host;
  return std::string(impl_->tls ? "https://" : "http://") + h + ":" + std::to_string(port());
}

std::vector<ServerRequest> TestServer::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

std::size_t TestServer::connections_accepted() const { return impl_->accepted; }

}  // namespace ossa::test
