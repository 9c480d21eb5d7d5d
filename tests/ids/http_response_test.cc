// HTTP response parsing (requests: http_parser_test.cc).
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>

#include "ids/http_parser.h"
#include "tests/ids/http_test_util.h"

namespace vigil::ids {
namespace {

using test::bytes;
using test::parse_resp;
using test::size32;
using test::str;

const std::string kHeaders =
    "Server: nginx/1.22\r\n"
    "Location: http://example.com/next\r\n"
    "Content-Type: text/html\r\n"
    "Content-Length: 4\r\n";
const std::string kRedirect = "HTTP/1.1 302 Found\r\n" + kHeaders + "\r\nabcd";

TEST(HttpResponse, FillsEveryField) {
  const std::string all = kRedirect + "HTTP/1.1 200 OK\r\n";
  HttpResponse r;
  ASSERT_EQ(parse_resp(all, r), HttpParse::kComplete) << (r.error ? r.error : "");
  EXPECT_EQ(str(r.protocol), "HTTP/1.1");
  EXPECT_EQ(str(r.stat_code), "302");
  EXPECT_EQ(r.status, 302u);
  EXPECT_EQ(str(r.stat_msg), "Found");
  EXPECT_EQ(str(r.response_line), "HTTP/1.1 302 Found");
  EXPECT_EQ(str(r.header), kHeaders);
  EXPECT_EQ(r.header_names.str(),
            "\r\nServer\r\nLocation\r\nContent-Type\r\nContent-Length\r\n\r\n");
  EXPECT_EQ(str(r.server), "nginx/1.22");
  EXPECT_EQ(str(r.location), "http://example.com/next");
  EXPECT_EQ(str(r.content_type), "text/html");
  EXPECT_EQ(str(r.body()), "abcd");
  EXPECT_TRUE(r.body_complete);
  EXPECT_EQ(r.consumed, kRedirect.size());
  // The next response in the same bytes.
  EXPECT_EQ(parse_http_response(bytes(all) + r.consumed, size32(all) - r.consumed, r),
            HttpParse::kIncomplete);
  EXPECT_EQ(r.status, 200u);
}

TEST(HttpResponse, SegmentedResponseIsIncompleteUntilWhole) {
  const uint32_t header_end = size32(kRedirect) - 4;
  for (uint32_t n = 0; n < kRedirect.size(); ++n) {
    HttpResponse r;
    ASSERT_EQ(parse_http_response(bytes(kRedirect), n, r), HttpParse::kIncomplete) << n;
    if (n >= header_end) {
      EXPECT_EQ(r.body_remaining, kRedirect.size() - n);
      EXPECT_EQ(r.consumed, n);
      EXPECT_EQ(str(r.server), "nginx/1.22");
    } else {
      EXPECT_EQ(r.consumed, 0u);
    }
  }
}

TEST(HttpResponse, ChunkedBody) {
  const std::string msg =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n"
      "E\r\n in\r\n\r\nchunks.\r\n0\r\n\r\n";
  HttpResponse r;
  ASSERT_EQ(parse_resp(msg, r), HttpParse::kComplete);
  EXPECT_EQ(str(r.body()), "Wikipedia in\r\n\r\nchunks.");
  EXPECT_EQ(r.consumed, msg.size());
  for (uint32_t n = 0; n < msg.size(); ++n) {
    ASSERT_EQ(parse_http_response(bytes(msg), n, r), HttpParse::kIncomplete) << n;
  }
}

TEST(HttpResponse, BodyWithoutLengthRunsToTheEndOfTheStream) {
  const std::string msg = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close";
  HttpResponse r;
  EXPECT_EQ(parse_resp(msg, r), HttpParse::kIncomplete);
  EXPECT_TRUE(r.body_until_close);
  EXPECT_FALSE(r.body_complete);
  EXPECT_EQ(str(r.body()), "until close");
  EXPECT_EQ(r.body_remaining, 0u);  // unknown
  EXPECT_EQ(r.consumed, msg.size());
  EXPECT_EQ(parse_resp(msg, r, {.stream_ended = true}), HttpParse::kComplete);
  EXPECT_TRUE(r.body_complete);
  EXPECT_EQ(str(r.body()), "until close");
}

TEST(HttpResponse, StatusesWithoutBody) {
  for (const char* line : {"HTTP/1.1 204 No Content", "HTTP/1.1 304 Not Modified",
                           "HTTP/1.1 100 Continue", "HTTP/1.1 101 Switching Protocols"}) {
    const std::string msg = std::string(line) + "\r\nContent-Length: 10\r\n\r\n";
    HttpResponse r;
    EXPECT_EQ(parse_resp(msg + "next", r), HttpParse::kComplete) << line;
    EXPECT_EQ(r.consumed, msg.size()) << line;
    EXPECT_EQ(r.body().len, 0u);
  }
  // The answer to a HEAD request announces a length it does not send.
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n";
  HttpResponse r;
  EXPECT_EQ(parse_resp(head, r, {.head_request = true}), HttpParse::kComplete);
  EXPECT_EQ(r.consumed, head.size());
  EXPECT_EQ(parse_resp(head, r), HttpParse::kIncomplete);
  EXPECT_EQ(r.body_remaining, 1234u);
}

TEST(HttpResponse, ContinueThenFinalResponse) {
  const std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
  const std::string fin = "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
  const std::string all = cont + fin;
  HttpResponse r;
  ASSERT_EQ(parse_resp(all, r), HttpParse::kComplete);
  EXPECT_EQ(r.status, 100u);
  ASSERT_EQ(r.consumed, cont.size());
  ASSERT_EQ(parse_http_response(bytes(all) + r.consumed, size32(all) - r.consumed, r),
            HttpParse::kComplete);
  EXPECT_EQ(r.status, 201u);
  EXPECT_EQ(str(r.body()), "ok");
}

TEST(HttpResponse, EmptyReasonPhrase) {
  HttpResponse r;
  ASSERT_EQ(parse_resp("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", r), HttpParse::kComplete);
  EXPECT_EQ(str(r.stat_code), "200");
  EXPECT_EQ(r.stat_msg.len, 0u);
  ASSERT_EQ(parse_resp("HTTP/1.0 404 Not  Found \nContent-Length: 0\n\n", r), HttpParse::kComplete);
  EXPECT_EQ(str(r.stat_msg), "Not  Found");
}

TEST(HttpResponse, MalformedInputIsAnErrorWithAReason) {
  const struct {
    std::string bytes;
    const char* reason;
  } cases[] = {
      {"HTTQ/1.1 200 OK\r\n", http_error::kNotResponse},
      {"GET / HTTP/1.1\r\n", http_error::kNotResponse},
      {"\x16\x03\x03", http_error::kNotResponse},
      {"HTTP/3.0 200 OK\r\n", http_error::kBadProtocol},
      {"HTTP/1.1x 200 OK\r\n", http_error::kBadProtocol},
      {"HTTP/1.1 2000 OK\r\n", http_error::kBadStatus},
      {"HTTP/1.1 20 OK\r\n", http_error::kBadStatus},
      {"HTTP/1.1 abc OK\r\n", http_error::kBadStatus},
      {"HTTP/1.1 200OK\r\n", http_error::kBadStatus},
      {"HTTP/1.1 200 OK\r\nServer\r\n\r\n", http_error::kBadHeader},
      {"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", http_error::kBadContentLength},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", http_error::kBadChunk},
  };
  for (const auto& c : cases) {
    HttpResponse r;
    EXPECT_EQ(parse_resp(c.bytes, r), HttpParse::kError) << c.bytes;
    EXPECT_STREQ(r.error, c.reason) << c.bytes;
  }
  HttpResponse r;
  EXPECT_EQ(parse_resp("HT", r), HttpParse::kIncomplete);
  EXPECT_EQ(parse_resp("HTTP/1.1 200 O", r), HttpParse::kIncomplete);
}

TEST(HttpResponse, RandomBytesAndMutationsNeverBreakBounds) {
  std::mt19937 rng(99);
  const std::string seeds[] = {
      kRedirect,
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nServer: x\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
      "HTTP/1.0 200 OK\r\nLocation: /x\r\n\r\nbody to close",
  };
  HttpResponse r;
  int complete = 0;
  for (int i = 0; i < 30000; ++i) {
    std::string in;
    if (i % 4 == 0) {
      in = (rng() % 2 ? "HTTP/1.1 " : "");
      for (int k = rng() % 200; k > 0; --k) in += static_cast<char>(rng());
    } else {
      in = seeds[rng() % 3];
      for (int m = rng() % 6; m >= 0; --m) {
        const size_t at = rng() % (in.size() + 1);
        switch (rng() % 4) {
          case 0:
            if (at < in.size()) in[at] = static_cast<char>(rng());
            break;
          case 1:
            in.insert(at, 1, "\r\n: 0f;9"[rng() % 8]);
            break;
          case 2:
            if (at < in.size()) in.erase(at, 1 + rng() % 4);
            break;
          default:
            in.resize(at);
        }
      }
    }
    const uint32_t n = size32(in);
    std::unique_ptr<uint8_t[]> copy(new uint8_t[n + 1]);
    std::memcpy(copy.get(), in.data(), n);
    const HttpParse p = parse_http_response(copy.get(), n, r, {.stream_ended = rng() % 2 == 0});
    const HttpView views[] = {r.protocol, r.stat_code, r.stat_msg,     r.response_line, r.header,
                              r.server,   r.location,  r.content_type, r.body_wire,     r.body()};
    for (const HttpView& v : views) {
      ASSERT_TRUE(test::view_inside(v, copy.get(), n, &r, sizeof(r)));
    }
    ASSERT_LE(r.consumed, n);
    if (p == HttpParse::kError) {
      ASSERT_NE(r.error, nullptr);
    }
    if (p == HttpParse::kComplete) {
      ++complete;
      ASSERT_GT(r.consumed, 0u);
      ASSERT_LT(r.status, 1000u);
    }
  }
  EXPECT_GT(complete, 100);
}

}  // namespace
}  // namespace vigil::ids
