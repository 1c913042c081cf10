/* http/guard.h — keeps slow or stuck clients from locking the API out. libmicrohttpd's idle
 * timeout restarts with every byte, so a client that sends a request's headers a byte at a time
 * could hold a connection for ever; the guard gives every request HEADER_TIMEOUT from the moment
 * its connection opened (or its previous request ended) to deliver complete headers, and shuts
 * the connection down otherwise. Its callbacks are libmicrohttpd's connection and completion
 * notifiers; a sweeper thread does the closing. */
#ifndef JOYRIDE_HTTP_GUARD_H
#define JOYRIDE_HTTP_GUARD_H

#include <stdint.h>

#include <microhttpd.h>

struct http_guard;

/* Starts the sweeper; header_timeout_ms bounds the time to a request's complete headers. */
struct http_guard *http_guard_start(uint32_t header_timeout_ms);
/* Stops the sweeper and frees the guard; call after MHD_stop_daemon. NULL-safe. */
void http_guard_stop(struct http_guard *g);

/* MHD_OPTION_NOTIFY_CONNECTION callback (cls: the guard). */
void http_guard_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                              enum MHD_ConnectionNotificationCode code);
/* MHD_OPTION_NOTIFY_COMPLETED callback (cls: the guard): the next request's clock starts. */
void http_guard_on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                             enum MHD_RequestTerminationCode toe);
/* From the access handler's first call for a request: its headers are complete. */
void http_guard_headers_done(struct MHD_Connection *c);

/* Connections shut down for slow headers so far. */
uint64_t http_guard_closed(struct http_guard *g);

#endif
