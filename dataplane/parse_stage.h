// The first stage: counts each received frame on its port and validates its headers
// (frame_parser.h), marking malformed frames dropped with their reason.
#pragma once

#include "dataplane/frame_parser.h"
#include "dataplane/packet_batch.h"
#include "dataplane/worker_counters.h"

namespace vigil {

void parse_batch(PacketBatch& batch, const ParseLimits& limits, WorkerCounters& counters);

}  // namespace vigil
