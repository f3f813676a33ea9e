#pragma once
// Sample commands of every type, for checking the codecs (domain/commands/) and the schemas
// (schemas/commands/) against the same inputs: the well-formed ones as the codecs write them,
// and payloads each codec must refuse. A refused sample says whether a JSON Schema can tell
// too (schema_refuses) or only the codec can (e.g. object_key must be u/{actor}/{file_id}).
// test/unit/command_codecs_test.cpp runs the codecs over them; kemas_command_samples prints
// them for test/schema/check_command_schemas.py, which runs a real JSON Schema validator.

#include <string>
#include <vector>

#include "domain/commands/envelope.hpp"

namespace kemas::test {

struct command_sample {
  std::string name;  // what it shows, e.g. "upload without its sha256"
  commands::envelope command;
  bool codec_accepts = true;
  bool schema_refuses = false;  // meaningful when !codec_accepts
};

std::vector<command_sample> command_samples();

}  // namespace kemas::test
