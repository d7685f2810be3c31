/* plab-shm.h: named shared memory that never outlives its creator, like
 * Python's multiprocessing.shared_memory.SharedMemory without its leaks.
 *
 * A segment is a POSIX shared memory object named "/plab.PID.NAME" (PID of the
 * creator), so other processes, even unrelated ones, can attach by name. The
 * creator unlinks it when it closes it; if the creator is killed first, a
 * small watchdog process (started with the first segment, holding nothing
 * else open) unlinks every segment the creator still had; and
 * plab_shm_reap_stale () removes any segment whose creator is gone, for the
 * case where the watchdog was killed too.
 */
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct PlabShm PlabShm;

#define PLAB_SHM_NAME_MAX 64

/* Creates a zeroed segment of @size bytes. @name: letters, digits, '-', '_'
 * (at most 32). Returns 0, PLAB_EINVAL or PLAB_ESYS; plab_error_detail ()
 * then says why ("shm_open /plab.12.counts: Too many open files"). */
int plab_shm_create (const char *name, size_t size, PlabShm **out);

/* Attaches to a segment by its full name (plab_shm_name () of the creator's
 * handle). Returns 0, PLAB_ENOTFOUND or PLAB_ESYS. */
int plab_shm_open (const char *full_name, PlabShm **out);

/* Unmaps; the creator also unlinks the name. */
void plab_shm_close (PlabShm *self);

/* The mapped bytes and their count. */
void *plab_shm_data (PlabShm *self);
size_t plab_shm_size (const PlabShm *self);
/* "/plab.1234.counts" */
const char *plab_shm_name (const PlabShm *self);

/* Unlinks every plab segment whose creator process is gone. Returns how many. */
int plab_shm_reap_stale (void);

#ifdef __cplusplus
}
#endif
