/* engine_internal.h — what the engine's files share from below it: path
 * strings and the collection of changes for the scan after a backup. */
#ifndef HF_ENGINE_INTERNAL_H
#define HF_ENGINE_INTERNAL_H

#include "engine/engine.h"
#include "scan/changes.h"
#include "util/path.h"

#endif
