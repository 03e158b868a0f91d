/* oneliner: what the command reads of a stream's description
 * (docs/PROTOCOL.md, "Stream descriptions"). The description comes from the
 * server, so it is checked as input from outside: a member of the wrong type
 * or out of its bounds makes the whole description malformed, and the
 * stream is then shown as one without a description; members this command
 * does not know are ignored, and so is a form it does not know (a later
 * version may add one). Every text kept is made safe for a terminal. */
#pragma once

#include <glib.h>
#include <jansson.h>

#define DESC_UNIT_MAX 32        /* bytes of a unit */
#define DESC_NAME_MAX 64        /* bytes of a field name */
#define DESC_FIELDS_MAX 64
#define DESC_PRECISION_MAX 15

typedef enum {
  FORM_NONE,    /* not given, or unknown to this command */
  FORM_NUMBER,
  FORM_ARRAY,
  FORM_OBJECT,
  FORM_IMAGE,
  FORM_STRING,  /* fields only */
  FORM_BOOLEAN, /* fields only */
} Form;

enum { LIMIT_WARNING_LOW, LIMIT_WARNING_HIGH, LIMIT_ALARM_LOW, LIMIT_ALARM_HIGH, N_LIMITS };


/* A described value: the stream's own, or one field of an object. */
typedef struct {
  char *key;        /* (owned) (nullable) a field's name as sent: the member to read */
  char *name;       /* (owned) (nullable) the same, safe for a terminal */
  char *unit;       /* (owned) (nullable) safe for a terminal */
  int precision;    /* digits after the point, -1 if not given */
  Form form;
  gboolean has_limit[N_LIMITS];
  double limit[N_LIMITS];
} DescValue;

typedef struct {
  DescValue value;
  GPtrArray *fields; /* (owned) of DescValue, FORM_OBJECT only, in display order */
} Desc;

void cli_desc_free (Desc *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Desc, cli_desc_free)

/* The description of a stream's entry of op "streams"; NULL if it has none
 * or a malformed one (then *why, if why is not NULL, says what is wrong, or
 * is NULL when there is no description). (transfer full) */
Desc *cli_desc_parse (json_t *entry, const char **why);

/* Whether the server compares the stream's values with limits. */
gboolean cli_desc_limited (const Desc *d);

/* The unit shown for a stream: its own, else its fields' (each once, in
 * order, at most 3), else "-". (transfer full) */
char *cli_desc_unit (const Desc *d);

/* 0 within the limits, 1 outside the warning limits, 2 outside the alarm
 * limits (docs/PROTOCOL.md, "Limits"). */
int cli_desc_level (const DescValue *d, double x);
