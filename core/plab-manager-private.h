/* plab-manager-private.h: handing a manager proxy to a child process, for
 * plab-process.c. */
#pragma once

#include "plab-manager.h"

/* The descriptor of @proxy's connection, to pass to a spawned child. */
int _plab_proxy_fd (const PlabProxy *proxy);

/* In a child: makes @proxy the one plab_proxy_inherited () returns (a
 * forked child, where the parent's pointer is valid as it is). */
void _plab_proxy_set_inherited (PlabProxy *proxy);

/* In a child started by spawn or forkserver: wraps the received descriptor
 * @fd as the inherited proxy. Returns 0 or PLAB_ENOMEM (@fd is then
 * closed). */
int _plab_proxy_adopt_fd (int fd);
