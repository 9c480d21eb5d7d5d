// HTTP request parsing and URI/host normalisation (responses: http_response_test.cc).
#include "ids/http_parser.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tests/ids/http_test_util.h"

namespace vigil::ids {
namespace {

using test::bytes;
using test::parse_req;
using test::size32;
using test::str;

const std::string kHeaders =
    "Host: WWW.Example.COM:8080\r\n"
    "User-Agent: Mozilla/5.0 (X11)\r\n"
    "Cookie: a=1; b=2\r\n"
    "Referer: http://ref.example/\r\n"
    "Content-Type: text/plain\r\n"
    "Accept: */*\r\n"
    "Content-Length: 5\r\n";
const std::string kRequestLine = "POST /a/./b/../c%20d?x=%41&y=1 HTTP/1.1";
const std::string kPost = kRequestLine + "\r\n" + kHeaders + "\r\nhello";

TEST(HttpRequest, FillsEveryField) {
  HttpRequest r;
  ASSERT_EQ(parse_req(kPost, r), HttpParse::kComplete) << (r.error ? r.error : "");
  EXPECT_EQ(str(r.method), "POST");
  EXPECT_EQ(str(r.uri_raw), "/a/./b/../c%20d?x=%41&y=1");
  EXPECT_EQ(r.uri.str(), "/a/c d?x=A&y=1");
  EXPECT_EQ(str(r.protocol), "HTTP/1.1");
  EXPECT_EQ(str(r.request_line), kRequestLine);
  EXPECT_EQ(str(r.header), kHeaders);
  EXPECT_EQ(r.header_names.str(),
            "\r\nHost\r\nUser-Agent\r\nCookie\r\nReferer\r\nContent-Type\r\nAccept\r\n"
            "Content-Length\r\n\r\n");
  EXPECT_EQ(r.header_count, 7u);
  EXPECT_EQ(r.host.str(), "www.example.com");
  EXPECT_EQ(str(r.host_raw), "WWW.Example.COM:8080");
  EXPECT_EQ(str(r.user_agent), "Mozilla/5.0 (X11)");
  EXPECT_EQ(str(r.cookie), "a=1; b=2");
  EXPECT_EQ(str(r.referer), "http://ref.example/");
  EXPECT_EQ(str(r.content_type), "text/plain");
  EXPECT_EQ(str(r.accept), "*/*");
  EXPECT_TRUE(r.has_content_length);
  EXPECT_EQ(r.content_length, 5u);
  EXPECT_EQ(str(r.body()), "hello");
  EXPECT_TRUE(r.body_complete);
  EXPECT_EQ(r.body_remaining, 0u);
  EXPECT_EQ(r.consumed, kPost.size());
  EXPECT_FALSE(r.chunked);
  EXPECT_EQ(r.error, nullptr);
}

TEST(HttpRequest, SegmentedRequestIsIncompleteUntilWhole) {
  const uint32_t header_end = size32(kPost) - 5;
  for (uint32_t n = 0; n <= kPost.size(); ++n) {
    HttpRequest r;
    const HttpParse p = parse_http_request(bytes(kPost), n, r);
    if (n < header_end) {
      ASSERT_EQ(p, HttpParse::kIncomplete) << n;
      EXPECT_EQ(r.consumed, 0u);
    } else if (n < kPost.size()) {
      ASSERT_EQ(p, HttpParse::kIncomplete) << n;
      // Everything is filled, the body so far too.
      EXPECT_EQ(r.host.str(), "www.example.com");
      EXPECT_EQ(str(r.body()), kPost.substr(header_end, n - header_end));
      EXPECT_FALSE(r.body_complete);
      EXPECT_EQ(r.body_remaining, kPost.size() - n);
      EXPECT_EQ(r.consumed, n);
    } else {
      EXPECT_EQ(p, HttpParse::kComplete);
    }
  }
}

TEST(HttpRequest, PipelinedRequestsAreConsumedOneByOne) {
  const std::string a = "GET /one HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string b = "POST /two HTTP/1.1\r\nHost: b\r\nContent-Length: 3\r\n\r\nxyz";
  const std::string c = "HEAD /three HTTP/1.0\r\n";
  const std::string all = a + b + c;
  HttpRequest r;
  uint32_t off = 0;
  ASSERT_EQ(parse_http_request(bytes(all) + off, size32(all) - off, r), HttpParse::kComplete);
  EXPECT_EQ(r.uri.str(), "/one");
  EXPECT_EQ(r.consumed, a.size());
  EXPECT_EQ(r.body().len, 0u);  // no Content-Length on a request: no body
  off += r.consumed;
  ASSERT_EQ(parse_http_request(bytes(all) + off, size32(all) - off, r), HttpParse::kComplete);
  EXPECT_EQ(str(r.method), "POST");
  EXPECT_EQ(str(r.body()), "xyz");
  EXPECT_EQ(r.consumed, b.size());
  off += r.consumed;
  EXPECT_EQ(parse_http_request(bytes(all) + off, size32(all) - off, r), HttpParse::kIncomplete);
  EXPECT_EQ(str(r.method), "HEAD");
  EXPECT_EQ(str(r.protocol), "HTTP/1.0");
}

TEST(HttpRequest, ChunkedBodyIsDecoded) {
  const std::string msg =
      "POST /up HTTP/1.1\r\nTransfer-Encoding: Chunked\r\nContent-Length: 99\r\n\r\n"
      "5\r\nhello\r\n6;name=val\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n";
  const std::string next = "GET / HTTP/1.1\r\n\r\n";
  const std::string all = msg + next;
  HttpRequest r;
  ASSERT_EQ(parse_req(all, r), HttpParse::kComplete) << (r.error ? r.error : "");
  EXPECT_TRUE(r.chunked);  // chunked wins over Content-Length
  EXPECT_EQ(str(r.body()), "hello world");
  EXPECT_TRUE(r.body_complete);
  EXPECT_EQ(r.consumed, msg.size());
  EXPECT_EQ(str(r.body_wire), msg.substr(msg.find("\r\n\r\n") + 4));
}

TEST(HttpRequest, ChunkedBodyCutShortReportsWhatIsAnnounced) {
  const std::string head = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  HttpRequest r;
  EXPECT_EQ(parse_req(head + "a\r\n0123", r), HttpParse::kIncomplete);
  EXPECT_EQ(str(r.body()), "0123");
  EXPECT_EQ(r.body_remaining, 6u);
  EXPECT_FALSE(r.body_complete);
  EXPECT_EQ(r.consumed, head.size() + 7);
  EXPECT_EQ(parse_req(head + "a\r\n0123456789\r", r), HttpParse::kIncomplete);
  EXPECT_EQ(parse_req(head + "a\r\n0123456789\r\n0\r\n", r), HttpParse::kIncomplete);
  EXPECT_EQ(parse_req(head + "a\r\n0123456789\r\n0\r\n\r\n", r), HttpParse::kComplete);
  EXPECT_EQ(str(r.body()), "0123456789");
}

TEST(HttpRequest, MalformedChunksAreErrors) {
  const std::string head = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const std::string& body :
       std::vector<std::string>{"zz\r\nab\r\n", "ffffffffff\r\n", "2\r\nabX\r\n", "2 x\r\nab\r\n",
                                "\r\n", std::string(2000, '1')}) {
    HttpRequest r;
    EXPECT_EQ(parse_req(head + body, r), HttpParse::kError) << body;
    EXPECT_STREQ(r.error, http_error::kBadChunk);
  }
}

TEST(HttpRequest, LargeChunkedBodyIsTruncatedInStorageButFramedWhole) {
  const std::string data(5000, 'q');
  const std::string msg =
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1388\r\n" + data + "\r\n0\r\n\r\n";
  HttpRequest r;
  ASSERT_EQ(parse_req(msg, r), HttpParse::kComplete);
  EXPECT_EQ(r.body().len, kHttpBodyMax);
  EXPECT_TRUE(r.body_decoded.truncated);
  EXPECT_EQ(r.consumed, msg.size());
}

TEST(HttpRequest, LongBodyBeyondTheDataIsRemaining) {
  const std::string msg = "PUT /f HTTP/1.1\r\nContent-Length: 1000000\r\n\r\nabc";
  HttpRequest r;
  EXPECT_EQ(parse_req(msg, r), HttpParse::kIncomplete);
  EXPECT_EQ(str(r.body()), "abc");
  EXPECT_EQ(r.body_remaining, 1000000u - 3);
  EXPECT_EQ(r.consumed, msg.size());
}

TEST(HttpRequest, HeaderNamesAreCaseInsensitiveAndFirstWins) {
  HttpRequest r;
  ASSERT_EQ(parse_req("GET / HTTP/1.1\r\nuSER-aGENT: one\r\nUser-Agent: two\r\n"
                      "content-LENGTH: 2\r\nHOST: h\r\n\r\nok",
                      r),
            HttpParse::kComplete);
  EXPECT_EQ(str(r.user_agent), "one");
  EXPECT_EQ(r.content_length, 2u);
  EXPECT_EQ(str(r.body()), "ok");
  EXPECT_EQ(r.host.str(), "h");
  EXPECT_EQ(r.header_names.str(), "\r\nuSER-aGENT\r\nUser-Agent\r\ncontent-LENGTH\r\nHOST\r\n\r\n");
}

TEST(HttpRequest, FoldedHeaderExtendsTheValue) {
  HttpRequest r;
  ASSERT_EQ(parse_req("GET / HTTP/1.1\r\nUser-Agent: foo\r\n\tbar \r\nAccept: x\r\n\r\n", r),
            HttpParse::kComplete);
  EXPECT_EQ(str(r.user_agent), "foo\r\n\tbar");
  EXPECT_EQ(str(r.accept), "x");
  EXPECT_EQ(r.header_count, 2u);
}

TEST(HttpRequest, ToleratedForms) {
  HttpRequest r;
  // Bare LF, empty lines before the request line, spaces around the colon and in the target.
  const std::string lf = "\r\n\nGET  /a b  HTTP/1.0\nHost : x \n\n";
  ASSERT_EQ(parse_req(lf, r), HttpParse::kComplete);
  EXPECT_EQ(str(r.method), "GET");
  EXPECT_EQ(str(r.uri_raw), "/a b");
  EXPECT_EQ(str(r.request_line), "GET  /a b  HTTP/1.0");
  EXPECT_EQ(r.host.str(), "x");
  EXPECT_EQ(str(r.header), "Host : x \n");
  EXPECT_EQ(r.consumed, 34u);
  // HTTP/0.9: no protocol, no headers.
  const std::string old = "GET /old\r\nrest";
  ASSERT_EQ(parse_req(old, r), HttpParse::kComplete);
  EXPECT_TRUE(r.http09);
  EXPECT_EQ(str(r.uri_raw), "/old");
  EXPECT_EQ(r.protocol.len, 0u);
  EXPECT_EQ(r.consumed, 10u);
  // Identical duplicate Content-Length headers are fine.
  const std::string dup = "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx";
  EXPECT_EQ(parse_req(dup, r), HttpParse::kComplete);
  EXPECT_EQ(str(r.body()), "x");
}

TEST(HttpRequest, AbsoluteUriGivesHostAndPath) {
  HttpRequest r;
  ASSERT_EQ(parse_req("GET http://user@Other.Example.:81/p/../q?z HTTP/1.1\r\nHost: x\r\n\r\n", r),
            HttpParse::kComplete);
  EXPECT_EQ(r.host.str(), "other.example");
  EXPECT_EQ(r.uri.str(), "/q?z");
  EXPECT_EQ(str(r.host_raw), "x");
  ASSERT_EQ(parse_req("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", r),
            HttpParse::kComplete);
  EXPECT_EQ(r.uri.str(), "example.com:443");
  EXPECT_EQ(r.host.str(), "example.com");
}

struct BadCase {
  std::string bytes;
  const char* reason;
};

TEST(HttpRequest, MalformedInputIsAnErrorWithAReason) {
  const BadCase cases[] = {
      {"\x16\x03\x01\x02\x00", http_error::kBadMethod},
      {"G\x01T / HTTP/1.1\r\n", http_error::kBadMethod},
      {" GET / HTTP/1.1\r\n", http_error::kBadMethod},
      {"GET\r\n", http_error::kBadMethod},
      {std::string(40, 'A') + " / HTTP/1.1\r\n", http_error::kBadMethod},
      {"GET /a\x01z HTTP/1.1\r\n", http_error::kBadUri},
      {"GET \r\n", http_error::kBadUri},
      {"GET / HTTP/2.0\r\n\r\n", http_error::kBadProtocol},
      {"GET / http/1.1\r\n\r\n", http_error::kBadProtocol},
      {"GET / HTTP/1.1\r\nNoColon\r\n\r\n", http_error::kBadHeader},
      {"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", http_error::kBadHeader},
      {"GET / HTTP/1.1\r\n: empty\r\n\r\n", http_error::kBadHeader},
      {"GET / HTTP/1.1\r\n folded-first\r\n\r\n", http_error::kBadHeader},
      {"GET / HTTP/1.1\r\nContent-Length: 12a\r\n\r\n", http_error::kBadContentLength},
      {"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", http_error::kBadContentLength},
      {"GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
       http_error::kBadContentLength},
      {"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx",
       http_error::kConflictingLength},
  };
  for (const BadCase& c : cases) {
    HttpRequest r;
    EXPECT_EQ(parse_req(c.bytes, r), HttpParse::kError) << c.bytes;
    EXPECT_STREQ(r.error, c.reason) << c.bytes;
  }
}

TEST(HttpRequest, LimitsAreErrors) {
  std::string many = "GET / HTTP/1.1\r\n";
  for (uint32_t i = 0; i <= kHttpMaxHeaders; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  many += "\r\n";
  HttpRequest r;
  EXPECT_EQ(parse_req(many, r), HttpParse::kError);
  EXPECT_STREQ(r.error, http_error::kTooManyHeaders);
  const std::string endless = "GET / HTTP/1.1\r\nX: " + std::string(kHttpMaxHeaderBlock, 'a');
  EXPECT_EQ(parse_req(endless, r), HttpParse::kError);
  EXPECT_STREQ(r.error, http_error::kHeaderTooLong);
  const std::string long_line = "GET /" + std::string(kHttpMaxHeaderBlock, 'a');
  EXPECT_EQ(parse_req(long_line, r), HttpParse::kError);
  EXPECT_STREQ(r.error, http_error::kHeaderTooLong);
}

TEST(HttpRequest, PrefixesDecideAsSoonAsTheyCan) {
  HttpRequest r;
  EXPECT_EQ(parse_req("", r), HttpParse::kIncomplete);
  EXPECT_EQ(parse_req("GE", r), HttpParse::kIncomplete);
  EXPECT_EQ(parse_req("GET /inde", r), HttpParse::kIncomplete);
  EXPECT_EQ(parse_req("G{", r), HttpParse::kError);
  EXPECT_EQ(parse_req("GET /a\x7f", r), HttpParse::kError);
}

TEST(HttpRequest, UriIsTruncatedNotOverflowed) {
  const std::string uri = "/" + std::string(3000, 'a');
  HttpRequest r;
  ASSERT_EQ(parse_req("GET " + uri + " HTTP/1.1\r\n\r\n", r), HttpParse::kComplete);
  EXPECT_EQ(r.uri.len, kHttpUriMax);
  EXPECT_TRUE(r.uri.truncated);
  EXPECT_EQ(r.uri_raw.len, uri.size());
}

// A real request: the first one of ../shared/corpus/pcaps/http_google.pcapng (a TCP payload,
// extracted once with scapy: bytes(pkt[TCP].payload); its second cookie cut off).
TEST(HttpRequest, RealBrowserRequest) {
  const std::string msg =
      "GET / HTTP/1.1\r\nHost: www.google.com\r\nUser-Agent: Mozilla/5.0 (Windows; U; Windows NT "
      "6.1; en-US; rv:1.9.1.7) Gecko/20091221 Firefox/3.5.7\r\nAccept: "
      "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: "
      "en-us,en;q=0.5\r\nAccept-Encoding: gzip,deflate\r\nAccept-Charset: "
      "ISO-8859-1,utf-8;q=0.7,*;q=0.7\r\nKeep-Alive: 300\r\nConnection: keep-alive\r\nCookie: "
      "PREF=ID=257913a938e6c248:U=267c896b5f39fb0b:FF=4:LD=en:NR=10:TM=1260730654:LM=1265479336:"
      "GM=1:S=h1UBGonTuWU3D23L\r\n\r\n";
  HttpRequest r;
  ASSERT_EQ(parse_req(msg, r), HttpParse::kComplete);
  EXPECT_EQ(r.host.str(), "www.google.com");
  EXPECT_EQ(r.uri.str(), "/");
  EXPECT_EQ(r.header_count, 9u);
  EXPECT_EQ(str(r.user_agent).substr(0, 11), "Mozilla/5.0");
  EXPECT_EQ(str(r.cookie).substr(0, 8), "PREF=ID=");
  EXPECT_EQ(r.consumed, msg.size());
}

struct UriCase {
  std::string in, out;
};

TEST(HttpUri, Normalisation) {
  const UriCase cases[] = {
      {"/a/./b", "/a/b"},
      {"/a/../b", "/b"},
      {"/../../etc/passwd", "/etc/passwd"},
      {"//a//b", "//a//b"},   // kept, as libhtp does
      {"/a/%2e%2e/b", "/b"},  // decoded, then resolved
      {"/a%2fb/..", "/a/"},
      {"/%zz%4", "/%zz%4"},  // invalid escapes kept
      {"/%4a%4B", "/JK"},
      {"/a?x=/../y&p=%2F", "/a?x=/../y&p=/"},  // dot segments only in the path
      {"/a/..", "/"},
      {"/a/.", "/a/"},
      {"/a/b/..", "/a/"},
      {"/a//../b", "/a/b"},
      {"/.", "/"},
      {"./a/../../b", "/b"},
      {"http://Host:80/x/../y?q", "/y?q"},
      {"http://host", "/"},
      {"https://host?q=1", "/?q=1"},
      {"*", "*"},
      {"", ""},
  };
  for (const UriCase& c : cases) {
    HttpFixed<kHttpUriMax> out;
    EXPECT_TRUE(http_normalize_uri(bytes(c.in), size32(c.in), out));
    EXPECT_EQ(out.str(), c.out) << c.in;
  }
  HttpFixed<kHttpUriMax> out;
  const std::string nul = "/%00x";
  http_normalize_uri(bytes(nul), size32(nul), out);
  EXPECT_EQ(out.str(), std::string("/\0x", 3));
}

TEST(HttpUri, HostNormalisation) {
  const UriCase cases[] = {
      {"Example.COM:80", "example.com"},
      {"[::1]:8080", "[::1]"},
      {"host.", "host"},
      {" spaced ", "spaced"},
      {"", ""},
      {"[broken", "[broken"},
  };
  for (const UriCase& c : cases) {
    HttpFixed<kHttpHostMax> out;
    http_normalize_host(bytes(c.in), size32(c.in), out);
    EXPECT_EQ(out.str(), c.out) << c.in;
  }
  const std::string huge(1000, 'h');
  HttpFixed<kHttpHostMax> out;
  http_normalize_host(bytes(huge), size32(huge), out);
  EXPECT_EQ(out.len, kHttpHostMax);
  EXPECT_TRUE(out.truncated);
}

// Every view of a parsed request lies in the input or in the struct, and lengths add up.
void check_request(const uint8_t* d, uint32_t n, const HttpRequest& r, HttpParse p) {
  const HttpView views[] = {r.method,       r.uri_raw,   r.protocol, r.request_line, r.header,
                            r.user_agent,   r.cookie,    r.referer,  r.accept,       r.host_raw,
                            r.content_type, r.body_wire, r.body()};
  for (const HttpView& v : views) {
    ASSERT_TRUE(test::view_inside(v, d, n, &r, sizeof(r)));
  }
  ASSERT_LE(r.consumed, n);
  ASSERT_LE(r.uri.len, kHttpUriMax);
  ASSERT_LE(r.host.len, kHttpHostMax);
  ASSERT_LE(r.header_names.len, kHttpHeaderNamesMax);
  if (p == HttpParse::kError) {
    ASSERT_NE(r.error, nullptr);
  }
  if (p == HttpParse::kComplete) {
    ASSERT_GT(r.consumed, 0u);
  }
}

TEST(HttpRequest, RandomBytesAndMutationsNeverBreakBounds) {
  std::mt19937 rng(2024);
  const std::string seeds[] = {
      kPost,
      "POST /u HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      "GET http://h:1/%2e%2e/a/../b?c HTTP/1.0\r\nHost: [::1]:80\r\nX: a\r\n b\r\n\r\n",
  };
  HttpRequest r;
  int complete = 0;
  for (int i = 0; i < 30000; ++i) {
    std::string in;
    if (i % 4 == 0) {
      in.resize(rng() % 200);
      for (char& c : in) c = static_cast<char>(rng());
    } else {
      in = seeds[rng() % 3];
      for (int m = rng() % 6; m >= 0; --m) {
        const size_t at = rng() % (in.size() + 1);
        switch (rng() % 4) {
          case 0:
            if (at < in.size()) in[at] = static_cast<char>(rng());
            break;
          case 1:
            in.insert(at, 1, "\r\n: %0/.9"[rng() % 9]);
            break;
          case 2:
            if (at < in.size()) in.erase(at, 1 + rng() % 4);
            break;
          default:
            in.resize(at);
        }
      }
    }
    // Parse from a heap copy of exactly n bytes so ASan sees any read past the end.
    const uint32_t n = size32(in);
    std::unique_ptr<uint8_t[]> copy(new uint8_t[n + 1]);
    std::memcpy(copy.get(), in.data(), n);
    const HttpParse p = parse_http_request(copy.get(), n, r);
    check_request(copy.get(), n, r, p);
    if (p == HttpParse::kComplete) ++complete;
  }
  EXPECT_GT(complete, 100);  // the mutations do not only produce garbage
}

}  // namespace
}  // namespace vigil::ids
