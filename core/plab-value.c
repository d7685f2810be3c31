/* plab-value.c: typed values and arrays on a PlabShared block and an RLock.
 *
 * The handle is the caller's own memory and holds the two mappings'
 * addresses; a forked child inherits a copy of the handle and the mappings
 * at the same addresses. The shared block holds only the elements, so no
 * pointer ever lies in shared memory. A value is an array of one.
 */
#include "plab-value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plab-error.h"

struct PlabArray
{
  PlabType type;
  size_t n;
  size_t elem_size;
  PlabShared *mem; /* owned: the n elements */
  PlabLock *lock;  /* owned: an RLock, held while an element is read or written */
};

struct PlabValue
{
  PlabArray array;
};

static const size_t type_sizes[PLAB_N_TYPES] = {
  [PLAB_TYPE_INT32] = sizeof (int32_t), [PLAB_TYPE_INT64] = sizeof (int64_t),
  [PLAB_TYPE_UINT8] = sizeof (uint8_t), [PLAB_TYPE_FLOAT] = sizeof (float),
  [PLAB_TYPE_DOUBLE] = sizeof (double),
};

size_t
plab_type_size (PlabType type)
{
  return (unsigned)type < PLAB_N_TYPES ? type_sizes[type] : 0;
}

/* Element loads and stores. Atomic, so that a read without the lock (a
 * cancelled wait) still sees a whole element; under the lock they cost what
 * a plain access costs on the machines we run on. */
static int64_t
load_int (const PlabArray *self, size_t i)
{
  void *p = (unsigned char *)plab_shared_data (self->mem) + i * self->elem_size;

  switch (self->type)
    {
    case PLAB_TYPE_INT32:
      return __atomic_load_n ((int32_t *)p, __ATOMIC_RELAXED);
    case PLAB_TYPE_INT64:
      return __atomic_load_n ((int64_t *)p, __ATOMIC_RELAXED);
    case PLAB_TYPE_UINT8:
      return __atomic_load_n ((uint8_t *)p, __ATOMIC_RELAXED);
    case PLAB_TYPE_FLOAT:
      {
        float f;
        __atomic_load ((float *)p, &f, __ATOMIC_RELAXED);
        return (int64_t)f;
      }
    case PLAB_TYPE_DOUBLE:
    default:
      {
        double d;
        __atomic_load ((double *)p, &d, __ATOMIC_RELAXED);
        return (int64_t)d;
      }
    }
}

static double
load_double (const PlabArray *self, size_t i)
{
  void *p = (unsigned char *)plab_shared_data (self->mem) + i * self->elem_size;

  switch (self->type)
    {
    case PLAB_TYPE_FLOAT:
      {
        float f;
        __atomic_load ((float *)p, &f, __ATOMIC_RELAXED);
        return f;
      }
    case PLAB_TYPE_DOUBLE:
      {
        double d;
        __atomic_load ((double *)p, &d, __ATOMIC_RELAXED);
        return d;
      }
    default:
      return (double)load_int (self, i);
    }
}

static void
store_int (PlabArray *self, size_t i, int64_t v)
{
  void *p = (unsigned char *)plab_shared_data (self->mem) + i * self->elem_size;

  switch (self->type)
    {
    case PLAB_TYPE_INT32:
      __atomic_store_n ((int32_t *)p, (int32_t)v, __ATOMIC_RELAXED);
      break;
    case PLAB_TYPE_INT64:
      __atomic_store_n ((int64_t *)p, v, __ATOMIC_RELAXED);
      break;
    case PLAB_TYPE_UINT8:
      __atomic_store_n ((uint8_t *)p, (uint8_t)v, __ATOMIC_RELAXED);
      break;
    case PLAB_TYPE_FLOAT:
      {
        float f = (float)v;
        __atomic_store ((float *)p, &f, __ATOMIC_RELAXED);
        break;
      }
    case PLAB_TYPE_DOUBLE:
    default:
      {
        double d = (double)v;
        __atomic_store ((double *)p, &d, __ATOMIC_RELAXED);
        break;
      }
    }
}

static void
store_double (PlabArray *self, size_t i, double v)
{
  void *p = (unsigned char *)plab_shared_data (self->mem) + i * self->elem_size;

  switch (self->type)
    {
    case PLAB_TYPE_FLOAT:
      {
        float f = (float)v;
        __atomic_store ((float *)p, &f, __ATOMIC_RELAXED);
        break;
      }
    case PLAB_TYPE_DOUBLE:
      __atomic_store ((double *)p, &v, __ATOMIC_RELAXED);
      break;
    default:
      store_int (self, i, (int64_t)v);
      break;
    }
}

/* Takes the lock for one access: true when held (a dead holder's lock is
 * held all the same), false when the wait was cancelled. */
static bool
take (PlabArray *self)
{
  int rc = plab_lock_acquire (self->lock, -1);

  return rc == 0 || rc == PLAB_EOWNERDEAD;
}

static void
give (PlabArray *self)
{
  plab_lock_release (self->lock);
}

static bool
array_init (PlabArray *self, const char *name, PlabType type, size_t n, const void *init)
{
  size_t size = plab_type_size (type);

  if (size == 0 || n == 0 || n > SIZE_MAX / size)
    {
      _plab_error_set (PLAB_EINVAL, "%s %s: %s", name ? name : "array",
                       size == 0 ? "type" : "length",
                       size == 0 ? "not a PlabType" : "must be 1 or more and fit in memory");
      return false;
    }
  self->type = type;
  self->n = n;
  self->elem_size = size;
  self->mem = plab_shared_new (name, size * n, false);
  self->lock = self->mem != NULL ? plab_rlock_new (name) : NULL;
  if (self->lock == NULL)
    {
      /* The constructors above said why. */
      plab_shared_free (self->mem);
      return false;
    }
  if (init != NULL)
    memcpy (plab_shared_data (self->mem), init, size * n);
  return true;
}

static void
array_clear (PlabArray *self)
{
  plab_lock_free (self->lock);
  plab_shared_free (self->mem);
}

/* --- Array --- */

PlabArray *
plab_array_new (const char *name, PlabType type, size_t n, const void *init)
{
  PlabArray *self = calloc (1, sizeof *self);

  if (self == NULL)
    {
      _plab_error_set (PLAB_ENOMEM, "plab_array_new: out of memory");
      return NULL;
    }
  if (!array_init (self, name, type, n, init))
    {
      free (self);
      return NULL;
    }
  return self;
}

void
plab_array_free (PlabArray *self)
{
  if (self == NULL)
    return;
  array_clear (self);
  free (self);
}

PlabType
plab_array_type (const PlabArray *self)
{
  return self->type;
}

size_t
plab_array_length (const PlabArray *self)
{
  return self->n;
}

int64_t
plab_array_get_int (PlabArray *self, size_t i)
{
  bool held;
  int64_t v;

  if (i >= self->n)
    return 0;
  held = take (self);
  v = load_int (self, i);
  if (held)
    give (self);
  return v;
}

double
plab_array_get_double (PlabArray *self, size_t i)
{
  bool held;
  double v;

  if (i >= self->n)
    return 0;
  held = take (self);
  v = load_double (self, i);
  if (held)
    give (self);
  return v;
}

int
plab_array_set_int (PlabArray *self, size_t i, int64_t value)
{
  if (i >= self->n)
    return PLAB_ERANGE;
  if (!take (self))
    return PLAB_ECANCELLED;
  store_int (self, i, value);
  give (self);
  return 0;
}

int
plab_array_set_double (PlabArray *self, size_t i, double value)
{
  if (i >= self->n)
    return PLAB_ERANGE;
  if (!take (self))
    return PLAB_ECANCELLED;
  store_double (self, i, value);
  give (self);
  return 0;
}

void *
plab_array_data (PlabArray *self)
{
  return plab_shared_data (self->mem);
}

int
plab_array_lock (PlabArray *self, int64_t timeout_ns)
{
  return plab_lock_acquire (self->lock, timeout_ns);
}

int
plab_array_unlock (PlabArray *self)
{
  return plab_lock_release (self->lock);
}

PlabLock *
plab_array_get_lock (PlabArray *self)
{
  return self->lock;
}

/* --- Value --- */

PlabValue *
plab_value_new (const char *name, PlabType type, const void *init)
{
  PlabValue *self = calloc (1, sizeof *self);

  if (self == NULL)
    {
      _plab_error_set (PLAB_ENOMEM, "plab_value_new: out of memory");
      return NULL;
    }
  if (!array_init (&self->array, name ? name : "value", type, 1, init))
    {
      free (self);
      return NULL;
    }
  return self;
}

void
plab_value_free (PlabValue *self)
{
  if (self == NULL)
    return;
  array_clear (&self->array);
  free (self);
}

PlabType
plab_value_type (const PlabValue *self)
{
  return self->array.type;
}

int64_t
plab_value_get_int (PlabValue *self)
{
  return plab_array_get_int (&self->array, 0);
}

double
plab_value_get_double (PlabValue *self)
{
  return plab_array_get_double (&self->array, 0);
}

int
plab_value_set_int (PlabValue *self, int64_t value)
{
  return plab_array_set_int (&self->array, 0, value);
}

int
plab_value_set_double (PlabValue *self, double value)
{
  return plab_array_set_double (&self->array, 0, value);
}

int
plab_value_add_int (PlabValue *self, int64_t delta, int64_t *result)
{
  int64_t v;

  /* Read and write under one holding of the lock: no add is lost between. */
  if (!take (&self->array))
    return PLAB_ECANCELLED;
  v = load_int (&self->array, 0) + delta;
  store_int (&self->array, 0, v);
  if (result != NULL)
    *result = load_int (&self->array, 0);
  give (&self->array);
  return 0;
}

int
plab_value_add_double (PlabValue *self, double delta, double *result)
{
  double v;

  if (!take (&self->array))
    return PLAB_ECANCELLED;
  v = load_double (&self->array, 0) + delta;
  store_double (&self->array, 0, v);
  if (result != NULL)
    *result = load_double (&self->array, 0);
  give (&self->array);
  return 0;
}

int
plab_value_lock (PlabValue *self, int64_t timeout_ns)
{
  return plab_array_lock (&self->array, timeout_ns);
}

int
plab_value_unlock (PlabValue *self)
{
  return plab_array_unlock (&self->array);
}

PlabLock *
plab_value_get_lock (PlabValue *self)
{
  return self->array.lock;
}
