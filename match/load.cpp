#include "match/load.h"

#include <filesystem>

namespace closebook::match {

ledger::Draft ingest_draft(schema::Ingest::Source source, std::string_view format,
                           const std::string& file_name, std::string_view bytes, uint64_t rows,
                           std::string_view period) {
  ledger::Draft draft;
  if (!period.empty()) draft.entry().setEffective(std::string(period));
  auto ingest = draft.entry().getKind().initIngest();
  ingest.setSource(source);
  ingest.setFormat(std::string(format));
  ingest.setFileName(std::filesystem::path(file_name).filename().string());
  const Hash digest = sha256(bytes);
  ingest.setFileSha256(kj::arrayPtr(digest.data(), digest.size()));
  ingest.setRowCount(rows);
  if (!period.empty()) ingest.setPeriod(std::string(period));
  return draft;
}

}  // namespace closebook::match
