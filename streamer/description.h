/* What a stream's values mean: the description of a stream
 * (docs/PROTOCOL.md, "Stream descriptions"), read once from JSON into a form
 * and limits that every message is checked against.
 *
 * Thread rules: a description is immutable once made; any thread may check
 * values against it.
 */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "oneliner/stream.h"

G_BEGIN_DECLS

typedef enum {
  OL_FORM_ANY = 0,   /* not declared */
  OL_FORM_NUMBER,
  OL_FORM_ARRAY,
  OL_FORM_OBJECT,
  OL_FORM_IMAGE,
  OL_FORM_STRING,    /* fields only */
  OL_FORM_BOOLEAN,   /* fields only */
} OlForm;

/* Warning and alarm ranges; a missing limit is -inf or +inf. */
typedef struct {
  double warning_low, warning_high;
  double alarm_low, alarm_high;
  gboolean set;      /* any limit given */
} OlLimits;

typedef struct {
  char *name;        /* (owned) */
  OlForm form;
  OlLimits limits;
} OlField;

typedef struct {
  json_t *json;      /* (owned) the description as it was given */
  OlForm form;
  guint64 length;    /* arrays: the number of samples, 0 for any */
  OlLimits limits;
  OlField *fields;   /* (owned) objects: n_fields fields */
  guint n_fields;
} OlDescription;

/* Longest "text" and "unit", in bytes. */
#define OL_DESCRIPTION_TEXT_MAX 200
#define OL_DESCRIPTION_UNIT_MAX 32
#define OL_DESCRIPTION_FIELDS_MAX 64
#define OL_DESCRIPTION_FIELD_NAME_MAX 64
#define OL_DESCRIPTION_LENGTH_MAX (1 << 24)
#define OL_DESCRIPTION_PRECISION_MAX 15

/* Reads json (borrowed, a deep copy is kept) as the description of a
 * stream of that encoding. On a bad description returns NULL with error
 * (domain OL_ERROR, code) naming the member: 'WHERE: description: ...',
 * where saying which stream (e.g. 'stream "NAME"'). */
OlDescription *ol__description_new (json_t *json, const char *where, OlEncoding encoding,
                                    int code, GError **error);
void ol__description_free (OlDescription *description);

/* Whether values are checked at all: a declared form of a JSON value. */
static inline gboolean
ol__description_checks (const OlDescription *d)
{
  return d != NULL && (d->form == OL_FORM_NUMBER || d->form == OL_FORM_ARRAY
                       || d->form == OL_FORM_OBJECT);
}

/* Checks value against the form of d and compares its numbers with the
 * limits: *status gets OL_STATUS_ALARM, OL_STATUS_WARNING or 0. A value of
 * another form returns FALSE with error (domain OL_ERROR, code): 'stream
 * "NAME": expected ..., got ...'. */
gboolean ol__description_check (const OlDescription *d, const char *name, json_t *value,
                                guint8 *status, int code, GError **error);

/* What a value of the form of d is: "a number", "an array of 1024
 * numbers", "an object of 3 fields". (transfer full) */
char *ol__description_expected (const OlDescription *d);

G_END_DECLS
