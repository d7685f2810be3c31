/* plab-value.h: typed values and arrays in shared memory, each with its own
 * lock, like Python's multiprocessing.Value ('i', 0) and
 * Array ('d', [1, 2, 3, 4, 5]).
 *
 * The numbers live in an anonymous shared mapping (a PlabShared block,
 * plab-sync.h) and the lock in another (an RLock): make them before you
 * start the processes that use them, which inherit both, as with the other
 * objects of plab-sync.h (spawn and forkserver children do not).
 *
 * Every get, set and add takes the lock for itself, so each one is whole;
 * a read-modify-write of your own (read, compute, write back) holds the lock
 * across it with plab_value_lock () / plab_value_unlock (), as Python's
 *
 *   with v.get_lock ():
 *       v.value = f (v.value)
 *
 * The lock is an RLock, so the gets and sets inside take it again freely.
 * Values are read and written as int64_t or double whatever their type, and
 * converted as C converts them.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "plab-sync.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The types of Python's array module that a C program uses most. */
typedef enum
{
  PLAB_TYPE_INT32,  /* int32_t, Python's 'i' */
  PLAB_TYPE_INT64,  /* int64_t, 'q' */
  PLAB_TYPE_UINT8,  /* uint8_t, 'B' */
  PLAB_TYPE_FLOAT,  /* float, 'f' */
  PLAB_TYPE_DOUBLE, /* double, 'd' */
  PLAB_N_TYPES
} PlabType;

/* Bytes per element of @type; 0 for an unknown type. */
size_t plab_type_size (PlabType type);

/* --- Value --- */

typedef struct PlabValue PlabValue;

/* A value of @type, set from the one @type element at @init (NULL: zero);
 * @name labels its lock's wait spans. NULL on failure, with the reason in
 * plab_error_detail (): an unknown type, or no memory. */
PlabValue *plab_value_new (const char *name, PlabType type, const void *init);
void plab_value_free (PlabValue *self);
PlabType plab_value_type (const PlabValue *self);

/* Reads under the lock. Never fails: when the lock cannot be had (the
 * thread's cancel flag is up) it reads without it, still a whole value. */
int64_t plab_value_get_int (PlabValue *self);
double plab_value_get_double (PlabValue *self);

/* Write and add under the lock. Return 0, or PLAB_ECANCELLED with nothing
 * changed; an add stores the new value at @result (may be NULL). */
int plab_value_set_int (PlabValue *self, int64_t value);
int plab_value_set_double (PlabValue *self, double value);
int plab_value_add_int (PlabValue *self, int64_t delta, int64_t *result);
int plab_value_add_double (PlabValue *self, double delta, double *result);

/* Holds the lock across several calls (Python's get_lock ()): returns as
 * plab_lock_acquire (); 0 and PLAB_EOWNERDEAD both mean it is held. */
int plab_value_lock (PlabValue *self, int64_t timeout_ns);
int plab_value_unlock (PlabValue *self);
/* The lock itself, owned by the value (for a condition's lock and the like). */
PlabLock *plab_value_get_lock (PlabValue *self);

/* --- Array --- */

typedef struct PlabArray PlabArray;

/* @n elements of @type (n > 0), copied from the @n elements at @init
 * (NULL: zeros). NULL on failure, with the reason in plab_error_detail (). */
PlabArray *plab_array_new (const char *name, PlabType type, size_t n, const void *init);
void plab_array_free (PlabArray *self);
PlabType plab_array_type (const PlabArray *self);
size_t plab_array_length (const PlabArray *self);

/* Element @i under the lock; 0 for @i out of range (as the getters of a
 * value, they never fail). */
int64_t plab_array_get_int (PlabArray *self, size_t i);
double plab_array_get_double (PlabArray *self, size_t i);
/* Return 0, PLAB_ERANGE for @i out of range, or PLAB_ECANCELLED. */
int plab_array_set_int (PlabArray *self, size_t i, int64_t value);
int plab_array_set_double (PlabArray *self, size_t i, double value);

/* The elements themselves (int32_t *, double * ... by type), for a loop
 * over many of them: hold the lock around it, or own the indices you touch. */
void *plab_array_data (PlabArray *self);

int plab_array_lock (PlabArray *self, int64_t timeout_ns);
int plab_array_unlock (PlabArray *self);
PlabLock *plab_array_get_lock (PlabArray *self);

#ifdef __cplusplus
}
#endif
