// Prints test::command_samples() as JSON lines for check_command_schemas.py:
//   {"name": ..., "codec_accepts": bool, "schema_refuses": bool, "command": <envelope>}
// where <envelope> is exactly what the envelope codec writes.
#include <boost/json.hpp>

#include <iostream>

#include "domain/commands/envelope_codec.hpp"
#include "test/support/command_samples.hpp"

int main() {
  for (const auto& sample : kemas::test::command_samples()) {
    boost::json::object line{
        {"name", sample.name},
        {"codec_accepts", sample.codec_accepts},
        {"schema_refuses", sample.schema_refuses},
        {"command", boost::json::parse(kemas::commands::encode_envelope(sample.command))}};
    std::cout << boost::json::serialize(line) << "\n";
  }
  return 0;
}
