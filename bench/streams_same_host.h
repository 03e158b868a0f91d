/* bench-streams, section 4: same-host frames (bench/streams_same_host.c). */
#pragma once

#include <glib.h>
#include <jansson.h>

/* The option that makes bench-streams the server of section 4. */
#define SAME_HOST_SERVER_ARG "--same-host-server"

/* The server process of section 4: runs until its stdin closes. */
int same_host_server_main (void);

/* Runs section 4 and prints its rows; returns its JSON summary
 * (transfer full). */
json_t *same_host_section (gboolean quick, int reps, double scale);
