/* engine_internal.h — helpers shared by the engine's files. */
#ifndef HF_ENGINE_INTERNAL_H
#define HF_ENGINE_INTERNAL_H

#include "engine/engine.h"
#include "scan/changes.h"
#include "util/path.h"

#endif
