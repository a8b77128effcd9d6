#include "match/gl_config.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

namespace closebook::match {
namespace {

using Json = nlohmann::json;

Status only_keys(const Json& obj, const std::vector<std::string>& allowed, const std::string& where) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
      return Error::invalid("unknown setting \"" + it.key() + "\"").in_field(where);
    }
  }
  return {};
}

bool is_currency(const std::string& s) {
  return s.size() == 3 && std::all_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

bool is_organisation_id(const std::string& s) {
  return !s.empty() && s.size() <= 16 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

Result<std::string> text_field(const Json& obj, const std::string& key, const std::string& where, size_t max) {
  const Json& v = obj[key];
  if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>().size() > max) {
    return Error::invalid("must be a non-empty string of at most " + std::to_string(max) + " characters").in_field(where);
  }
  return v.get<std::string>();
}

const std::vector<std::pair<const char*, std::string JournalAccounts::*>>& account_fields() {
  static const std::vector<std::pair<const char*, std::string JournalAccounts::*>> kFields = {
      {"revenue", &JournalAccounts::revenue},
      {"cogs", &JournalAccounts::cogs},
      {"receivable", &JournalAccounts::receivable},
      {"payable", &JournalAccounts::payable},
      {"gst", &JournalAccounts::gst},
      {"tax_none", &JournalAccounts::tax_none},
      {"tax_export", &JournalAccounts::tax_export},
      {"myob_tax_income", &JournalAccounts::myob_tax_income},
      {"myob_tax_export", &JournalAccounts::myob_tax_export},
      {"myob_tax_none", &JournalAccounts::myob_tax_none},
  };
  return kFields;
}

// Accounts Xero refuses manual journals to, by their codes in the AU standard chart: Accounts
// Receivable and Payable, Unpaid Expense Claims, Tracking Transfers (Xero Central, "Locked and
// system accounts in your chart of accounts") and Retained Earnings (Xero API, "Manual
// Journals"). A journal to one would not import (docs/close.md §5.1).
constexpr const char* kXeroRefusedAccounts[][2] = {{"610", "Accounts Receivable"}, {"800", "Accounts Payable"},
                                                   {"801", "Unpaid Expense Claims"}, {"877", "Tracking Transfers"},
                                                   {"960", "Retained Earnings"}};

// MYOB AccountRight account numbers: 5 digits, an optional separator after the first (4-1000).
bool is_myob_account(const std::string& s) {
  auto digits = [](const std::string& d) { return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; }); };
  if (s.size() == 5) return digits(s);
  return s.size() == 6 && (s[1] < '0' || s[1] > '9') && digits(s.substr(0, 1)) && digits(s.substr(2));
}

Status check_accounts_for(const GlOrganisation& o, const std::string& where) {
  const JournalAccounts& a = o.accounts;
  const std::pair<const char*, const std::string*> codes[] = {
      {"revenue", &a.revenue}, {"cogs", &a.cogs}, {"receivable", &a.receivable}, {"payable", &a.payable}, {"gst", &a.gst}};
  for (const auto& [name, code] : codes) {
    if (o.gl == GlSystem::kXero) {
      for (const auto& [refused, title] : kXeroRefusedAccounts) {
        if (*code == refused) {
          return Error::invalid(std::string("Xero refuses manual journals to its system account ") + refused + " " + title +
                                ": name a clearing account (docs/close.md §5.1)")
              .in_field(where + name);
        }
      }
    }
    if (o.gl == GlSystem::kMyob && !is_myob_account(*code)) {
      return Error::invalid("\"" + *code + "\" is not a MYOB account number such as 4-1000").in_field(where + name);
    }
  }
  return {};
}

Status apply_accounts(const Json& obj, const std::string& where, JournalAccounts& accounts) {
  // Journals before organisations carried Xero's GST rates on revenue lines and posted GST
  // again as its own line; the rates are gone, and a config naming them is told why.
  for (const char* gone : {"tax_income", "tax_expense"}) {
    if (obj.contains(gone)) {
      return Error::invalid("no longer used: taxable lines are tax_none and GST is its own line (docs/close.md §5.2)")
          .in_field(where + gone);
    }
  }
  for (const auto& [name, field] : account_fields()) {
    if (!obj.contains(name)) continue;
    CB_TRY(accounts.*field, text_field(obj, name, where + name, 64));
  }
  return {};
}

Result<std::vector<std::string>> list_field(const Json& obj, const std::string& key, const std::string& where,
                                            bool (*valid)(const std::string&), const char* what) {
  std::vector<std::string> out;
  if (!obj.contains(key)) return out;
  if (!obj[key].is_array()) return Error::invalid(std::string("expected a list of ") + what).in_field(where);
  for (const Json& v : obj[key]) {
    if (!v.is_string() || !valid(v.get<std::string>())) return Error::invalid(std::string("expected a list of ") + what).in_field(where);
    out.push_back(v.get<std::string>());
  }
  return out;
}

bool is_partner_id(const std::string& s) { return !s.empty() && s.size() <= 64; }

Result<GlOrganisation> parse_organisation(const Json& o, const std::string& where, const JournalAccounts& chart) {
  if (!o.is_object()) return Error::invalid("expected an object").in_field(where);
  std::vector<std::string> keys = {"id", "name", "gl", "base_currency", "currencies", "partners", "subsidiary",
                                   "tax_income", "tax_expense"};
  for (const auto& [name, field] : account_fields()) keys.push_back(name);
  CB_CHECK(only_keys(o, keys, where));
  GlOrganisation org;
  org.accounts = chart;
  if (!o.contains("id") || !o["id"].is_string() || !is_organisation_id(o["id"].get<std::string>())) {
    return Error::invalid("must be 1 to 16 of A-Z and 0-9, e.g. \"AU\"").in_field(where + ".id");
  }
  org.id = o["id"].get<std::string>();
  org.name = org.id;
  if (o.contains("name")) {
    CB_TRY(org.name, text_field(o, "name", where + ".name", 200));
  }
  if (!o.contains("base_currency") || !o["base_currency"].is_string() || !is_currency(o["base_currency"].get<std::string>())) {
    return Error::invalid("must be a currency code such as \"AUD\"").in_field(where + ".base_currency");
  }
  org.base_currency = o["base_currency"].get<std::string>();
  if (o.contains("gl")) {
    const Json& gl = o["gl"];
    const std::string name = gl.is_string() ? gl.get<std::string>() : "";
    if (name == "xero") {
      org.gl = GlSystem::kXero;
    } else if (name == "myob") {
      org.gl = GlSystem::kMyob;
    } else if (name == "netsuite") {
      org.gl = GlSystem::kNetSuite;
    } else {
      return Error::invalid("must be xero, myob or netsuite").in_field(where + ".gl");
    }
  }
  CB_TRY(org.currencies, list_field(o, "currencies", where + ".currencies", is_currency, "currency codes"));
  CB_TRY(org.partners, list_field(o, "partners", where + ".partners", is_partner_id, "partner ids"));
  if (o.contains("subsidiary")) {
    CB_TRY(org.subsidiary, text_field(o, "subsidiary", where + ".subsidiary", 200));
  }
  CB_CHECK(apply_accounts(o, where + ".", org.accounts));
  CB_CHECK(check_accounts_for(org, where + "."));
  return org;
}

}  // namespace

const char* gl_system_name(GlSystem gl) {
  switch (gl) {
    case GlSystem::kXero: return "xero";
    case GlSystem::kMyob: return "myob";
    case GlSystem::kNetSuite: return "netsuite";
  }
  return "?";
}

const GlOrganisation* JournalConfig::organisation_of(const std::string& partner, const std::string& currency) const {
  for (const GlOrganisation& o : organisations) {
    if (std::find(o.partners.begin(), o.partners.end(), partner) != o.partners.end()) return &o;
  }
  for (const GlOrganisation& o : organisations) {
    if (std::find(o.currencies.begin(), o.currencies.end(), currency) != o.currencies.end()) return &o;
  }
  return nullptr;
}

const GlOrganisation* JournalConfig::organisation(const std::string& id) const {
  for (const GlOrganisation& o : organisations) {
    if (o.id == id) return &o;
  }
  return nullptr;
}

Status apply_journal_config(const Json& journal, JournalConfig& config) {
  if (!journal.is_object()) return Error::invalid("expected an object").in_field("journal");
  std::vector<std::string> keys = {"tracking", "organisations", "netsuite_date_format", "tax_income", "tax_expense"};
  for (const auto& [name, field] : account_fields()) keys.push_back(name);
  CB_CHECK(only_keys(journal, keys, "journal"));
  CB_CHECK(apply_accounts(journal, "journal.", config.accounts));
  if (journal.contains("tracking")) {
    const Json& t = journal["tracking"];
    if (!t.is_object()) return Error::invalid("expected an object").in_field("journal.tracking");
    CB_CHECK(only_keys(t, {"partner", "vendor"}, "journal.tracking"));
    if (t.contains("partner")) {
      CB_TRY(config.tracking_partner, text_field(t, "partner", "journal.tracking.partner", 100));
    }
    if (t.contains("vendor")) {
      CB_TRY(config.tracking_vendor, text_field(t, "vendor", "journal.tracking.vendor", 100));
    }
    if (!config.tracking_partner.empty() && config.tracking_partner == config.tracking_vendor) {
      return Error::invalid("partner and vendor need two tracking categories").in_field("journal.tracking.vendor");
    }
  }
  if (journal.contains("netsuite_date_format")) {
    const Json& f = journal["netsuite_date_format"];
    if (!f.is_string() || (f.get<std::string>() != "dd/mm/yyyy" && f.get<std::string>() != "mm/dd/yyyy")) {
      return Error::invalid("must be dd/mm/yyyy or mm/dd/yyyy, as the importing NetSuite user's date preference")
          .in_field("journal.netsuite_date_format");
    }
    config.netsuite_date_format = f.get<std::string>();
  }
  // Organisations inherit the chart as it stands after the top-level keys.
  if (!journal.contains("organisations")) {
    for (GlOrganisation& o : config.organisations) {
      o.accounts = config.accounts;
      CB_CHECK(check_accounts_for(o, "journal."));
    }
    return {};
  }
  const Json& orgs = journal["organisations"];
  if (!orgs.is_array() || orgs.empty()) return Error::invalid("expected a non-empty list").in_field("journal.organisations");
  std::vector<GlOrganisation> parsed;
  std::set<std::string> ids, currencies, partners;
  for (size_t i = 0; i < orgs.size(); ++i) {
    const std::string where = "journal.organisations[" + std::to_string(i) + "]";
    CB_TRY(GlOrganisation o, parse_organisation(orgs[i], where, config.accounts));
    // Each invoice is booked by exactly one organisation: no id, currency or partner twice.
    if (!ids.insert(o.id).second) return Error::invalid("organisation " + o.id + " is named twice").in_field(where + ".id");
    for (const std::string& c : o.currencies) {
      if (!currencies.insert(c).second) return Error::invalid("currency " + c + " is booked by two organisations").in_field(where + ".currencies");
    }
    for (const std::string& p : o.partners) {
      if (!partners.insert(p).second) return Error::invalid("partner " + p + " is booked by two organisations").in_field(where + ".partners");
    }
    parsed.push_back(std::move(o));
  }
  config.organisations = std::move(parsed);
  return {};
}

}  // namespace closebook::match
