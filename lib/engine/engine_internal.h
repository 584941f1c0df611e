/* engine_internal.h — helpers shared by the engine's files. */
#ifndef HF_ENGINE_INTERNAL_H
#define HF_ENGINE_INTERNAL_H

#include "engine/engine.h"

/* "dir/name" in a new string; dir "" gives "/name" (the snapshot root) */
char *hf_path_join(const char *dir, const char *name);

#endif
