/* plab.h: the one header a program needs to use libplab, Parallel Lab's core
 * library: processes, pools, the trace recorder and the run store.
 *
 *   #include <plab.h>
 *   cc ex.c $(pkg-config --cflags --libs plab)
 */
#pragma once

#include "plab-error.h"
#include "plab-trace.h"
#include "plab-process.h"
#include "plab-pool.h"
#include "plab-store.h"
#include "plab-recording.h"
#include "plab-sysinfo.h"
#include "plab-machine-load.h"
#include "plab-mem.h"
#include "plab-sync.h"
#include "plab-queue.h"
#include "plab-pipe.h"
#include "plab-gil.h"
#include "plab-json.h"
#include "plab-shm.h"
#include "plab-exercise.h"
#include "plab-spread.h"
#include "plab-start.h"
#include "plab-manager.h"
#include "plab-value.h"
#include "plab-wait.h"
