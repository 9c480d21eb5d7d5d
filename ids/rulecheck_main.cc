// vigil-rulecheck: loads Suricata rule files the way vigild would and prints the load report
// (rules loaded, skipped by reason). Exit 0 when some rule loaded and every file was read, 1
// otherwise, 2 on a usage error.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "ids/classification.h"
#include "ids/rule_loader.h"
#include "ids/rule_syntax.h"
#include "ids/rule_vars.h"

namespace {

using vigil::ids::cat;

constexpr const char* kUsage =
    "usage: vigil-rulecheck [--classification FILE] [--var NAME=VALUE ...] [--json] FILE|DIR...\n"
    "  Loads the rule files (a directory means its *.rules files) and prints what loaded and\n"
    "  why the rest did not. --var sets an address or port variable (a name holding PORT, or\n"
    "  one already a port variable, is a port variable), e.g. --var HOME_NET=[10.0.0.0/8].\n";

int usage_error(const std::string& why) {
  std::cerr << "vigil-rulecheck: " << why << "\n" << kUsage;
  return 2;
}

// A directory stands for its *.rules files, sorted for a stable report.
void add_path(const std::string& path, std::vector<std::string>* files) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    files->push_back(path);
    return;
  }
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
    if (entry.path().extension() == ".rules") found.push_back(entry.path().string());
  }
  std::sort(found.begin(), found.end());
  if (found.empty()) found.push_back(path);  // reported as a file error by the loader
  files->insert(files->end(), found.begin(), found.end());
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vigil::ids;
  RuleVars vars = RuleVars::defaults();
  std::string classification_path;
  bool json = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (a == "--json") {
      json = true;
    } else if (a == "--classification" || a == "--var") {
      if (i + 1 >= argc) return usage_error(a + " needs a value");
      std::string v = argv[++i];
      if (a == "--classification") {
        classification_path = v;
        continue;
      }
      size_t eq = v.find('=');
      if (eq == std::string::npos || !vars.set(v.substr(0, eq), v.substr(eq + 1))) {
        return usage_error(cat({"bad --var '", v, "' (NAME=VALUE, NAME of [A-Za-z0-9_])"}));
      }
    } else if (a.size() > 1 && a[0] == '-') {
      return usage_error(cat({"unknown option ", a}));
    } else {
      add_path(a, &files);
    }
  }
  if (files.empty()) return usage_error("no rule file given");

  LoadReport report;
  Classifications classifications;
  const Classifications* cls = nullptr;
  if (!classification_path.empty()) {
    std::vector<std::string> problems;
    if (classifications.load_file(classification_path, &problems)) {
      cls = &classifications;
      for (const std::string& p : problems) std::cerr << "warning: " << p << "\n";
    } else {
      report.file_errors.insert(report.file_errors.end(), problems.begin(), problems.end());
    }
  }
  load_rules(files, vars, cls, &report);
  std::cout << (json ? report.to_json() : report.to_text());
  return report.loaded > 0 && report.file_errors.empty() ? 0 : 1;
}
