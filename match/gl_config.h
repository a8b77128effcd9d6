// The GL side of the close configuration (the "journal" object, docs/close.md §5): the chart
// of accounts and tax rates the journal names, the tracking categories, and the GL
// organisations (entities) that book the invoices, each in its base currency.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "evidence/result.h"

namespace closebook::match {

// Account codes and tax codes as the GL spells them. The defaults are Xero's Australian
// standard chart where it has the account (200 Sales, 310 Cost of Goods Sold, 820 GST) and
// two clearing accounts it does not, since Xero refuses manual journals to its system
// accounts 610 Accounts Receivable and 800 Accounts Payable (docs/close.md §5.1).
struct JournalAccounts {
  std::string revenue = "200", cogs = "310", receivable = "615", payable = "805", gst = "820";
  // The rate of every other line in Xero: GST is its own line, so no line makes Xero compute it
  // again (Xero's import has no tax-amount column to carry closebook's per-item rounding).
  std::string tax_none = "BAS Excluded";
  // The rate of a GST-free (export) revenue line: a 0% rate, so Xero computes no tax on it
  // either, and its BAS reports the line under G2 Export sales (docs/close.md §5.2).
  std::string tax_export = "GST Free Exports";
  // MYOB AccountRight's tax codes: MYOB takes a line's GST amount with it (docs/close.md §5.3).
  std::string myob_tax_income = "GST", myob_tax_export = "EXP", myob_tax_none = "N-T";
};

// Which GL imports an organisation's journal: what its account codes are checked against and
// which format `closebook journal` writes by default.
enum class GlSystem { kXero, kMyob, kNetSuite };
const char* gl_system_name(GlSystem gl);  // "xero", "myob", "netsuite"

// One set of books: a Xero or MYOB organisation, a NetSuite subsidiary.
struct GlOrganisation {
  std::string id;                        // "AU": 1-16 of A-Z, 0-9; in the journal id
  std::string name;                      // who imports it, as the demo and exports say
  GlSystem gl = GlSystem::kXero;
  std::string base_currency = "AUD";     // every amount of its journal is in it
  std::vector<std::string> currencies;   // the invoice currencies it books
  std::vector<std::string> partners;     // partners it books whatever their currency (checked first)
  std::string subsidiary;                // NetSuite OneWorld subsidiary; "" when not OneWorld
  JournalAccounts accounts;
};

struct JournalConfig {
  JournalAccounts accounts;  // the default chart; an organisation may override any of it
  // Tracking category names (Xero: up to two; empty = none) the lines carry partner and vendor in.
  std::string tracking_partner, tracking_vendor;
  // By default one Australian organisation booking AUD and NZD invoices (NZD partners are
  // billed GST-free exports by the Australian entity) in AUD.
  std::vector<GlOrganisation> organisations = {{"AU", "Australian entity", GlSystem::kXero, "AUD", {"AUD", "NZD"}, {}, "", {}}};
  // NetSuite reads dates in the importing user's preferred format: "dd/mm/yyyy" or "mm/dd/yyyy".
  std::string netsuite_date_format = "dd/mm/yyyy";

  // The organisation that books a partner's invoice in `currency`: the one naming the partner,
  // else the one naming the currency; nullptr when none does.
  const GlOrganisation* organisation_of(const std::string& partner, const std::string& currency) const;
  // The organisation of id `id` (a journal's `organisation`), or nullptr.
  const GlOrganisation* organisation(const std::string& id) const;
};

// Applies the config's "journal" object (keys it omits keep their defaults). Errors name the
// field, e.g. journal.organisations[1].base_currency.
Status apply_journal_config(const nlohmann::json& journal, JournalConfig& config);

}  // namespace closebook::match
