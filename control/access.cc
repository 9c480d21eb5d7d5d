// identify() (access.h): roles from peer credentials, with NSS lookups for group membership.
#include "control/access.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

namespace vigil::control {
namespace {

// NSS buffers: start at the size the system suggests, grow on ERANGE up to a sane bound.
constexpr size_t kMaxNssBuffer = 1 << 20;

size_t initial_buffer(int name) {
  const long n = sysconf(name);
  return n > 0 ? static_cast<size_t>(n) : 16384;
}

std::vector<gid_t> nss_groups_of(uid_t uid, gid_t gid) {
  std::vector<gid_t> out{gid};
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(initial_buffer(_SC_GETPW_R_SIZE_MAX));
  for (;;) {
    const int rc = getpwuid_r(uid, &pw, buf.data(), buf.size(), &found);
    if (rc == ERANGE && buf.size() < kMaxNssBuffer) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (rc != 0 || found == nullptr) return out;  // no passwd entry: the peer's gid only
    break;
  }
  int n = 32;
  std::vector<gid_t> groups;
  for (int tries = 0; tries < 8; ++tries) {
    groups.resize(static_cast<size_t>(n));
    int got = n;
    if (getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &got) != -1) {
      groups.resize(static_cast<size_t>(got));
      out.insert(out.end(), groups.begin(), groups.end());
      return out;
    }
    // -1: too small, and `got` now holds the size needed (glibc).
    n = std::max(got, n * 2);
    if (n > 65536) break;
  }
  return out;
}

std::optional<gid_t> nss_gid_of(const std::string& name) {
  group gr{};
  group* found = nullptr;
  std::vector<char> buf(initial_buffer(_SC_GETGR_R_SIZE_MAX));
  for (;;) {
    const int rc = getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found);
    if (rc == ERANGE && buf.size() < kMaxNssBuffer) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (rc != 0 || found == nullptr) return std::nullopt;
    return gr.gr_gid;
  }
}

// A group entry written as digits is a gid; anything else is a name.
std::optional<gid_t> numeric_gid(const std::string& s) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v >= 0xffffffffu) return std::nullopt;
  return static_cast<gid_t>(v);
}

// The caller's groups, looked up once and only if some entry names a group.
class PeerGroups {
 public:
  PeerGroups(const Peer& peer, const GroupDirectory& dir) : peer_(peer), dir_(dir) {}

  bool member_of(const std::string& entry) {
    std::optional<gid_t> gid = numeric_gid(entry);
    if (!gid && dir_.gid_of) gid = dir_.gid_of(entry);
    if (!gid) return false;  // an unknown group name matches nobody
    if (!loaded_) {
      gids_ = dir_.groups_of ? dir_.groups_of(peer_.uid, peer_.gid) : std::vector<gid_t>{};
      gids_.push_back(peer_.gid);
      loaded_ = true;
    }
    return std::find(gids_.begin(), gids_.end(), *gid) != gids_.end();
  }

 private:
  const Peer& peer_;
  const GroupDirectory& dir_;
  bool loaded_ = false;
  std::vector<gid_t> gids_;
};

bool matches(const Principals& who, const Peer& peer, PeerGroups& groups) {
  if (std::find(who.uids.begin(), who.uids.end(), peer.uid) != who.uids.end()) return true;
  return std::any_of(who.groups.begin(), who.groups.end(),
                     [&](const std::string& g) { return groups.member_of(g); });
}

}  // namespace

const GroupDirectory& system_groups() {
  static const GroupDirectory dir{nss_groups_of, nss_gid_of};
  return dir;
}

Identity identify(const Peer& peer, const ControlSettings& settings, const GroupDirectory& groups) {
  Identity id;
  id.peer = peer;
  PeerGroups peer_groups(peer, groups);
  if (peer.uid == 0 || matches(settings.admins, peer, peer_groups)) {
    id.role = Role::kAdmin;
    return id;
  }
  for (const OperatorSpec& op : settings.operators) {
    if (matches(op.who, peer, peer_groups)) {
      id.role = Role::kOperator;
      id.tenant = op.tenant;
      return id;
    }
  }
  return id;
}

}  // namespace vigil::control
