#pragma once
// Every command type's codec, for code that handles several (the dispatcher's tests, the
// schema checks). Producers and handlers include only their own type's header.

#include "domain/commands/assign_plan.hpp"
#include "domain/commands/delete_file.hpp"
#include "domain/commands/envelope.hpp"
#include "domain/commands/envelope_codec.hpp"
#include "domain/commands/expire.hpp"
#include "domain/commands/expire_share.hpp"
#include "domain/commands/expire_upload.hpp"
#include "domain/commands/expire_sweep.hpp"
#include "domain/commands/upgrade.hpp"
#include "domain/commands/upload.hpp"
