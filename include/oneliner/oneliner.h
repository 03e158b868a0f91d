/* oneliner: remote calls and data streams for lab instruments over ZeroMQ.
 * The umbrella header: include this one. */
#pragma once

#include <oneliner/export.h>
#include <oneliner/version.h>
#include <oneliner/json.h>
#include <oneliner/error.h>
#include <oneliner/server.h>
#include <oneliner/client.h>
#include <oneliner/stream.h>
#include <oneliner/record.h>
