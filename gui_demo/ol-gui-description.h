/* oneliner-gui: OlGuiDescription, what a stream's values mean.
 *
 * Parsed from the "description" member of a stream's entry in the
 * "streams" reply (docs/PROTOCOL.md, "Stream descriptions"). That reply
 * comes from the network: every member is checked here, and a member that
 * is missing, of the wrong type or out of its bounds is taken as not given
 * (never a failure): a stream whose description is not an object is not
 * described. "length" is kept for the tooltip only; nothing is ever
 * allocated from it (a waveform's size is the size of the array received).
 *
 * Plain data, reference counted (GRcBox), immutable once parsed; main
 * thread only.
 */
#pragma once

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

/* Bounds of the protocol. */
#define OL_GUI_DESCRIPTION_MAX_TEXT 200    /* bytes of "text" */
#define OL_GUI_DESCRIPTION_MAX_UNIT 32     /* bytes of a unit */
#define OL_GUI_DESCRIPTION_MAX_NAME 64     /* bytes of a field name */
#define OL_GUI_DESCRIPTION_MAX_FIELDS 64
#define OL_GUI_DESCRIPTION_MAX_LENGTH (1 << 24)
#define OL_GUI_DESCRIPTION_MAX_PRECISION 15

typedef enum {
  OL_GUI_FORM_NONE,     /* not given (or unknown) */
  OL_GUI_FORM_NUMBER,
  OL_GUI_FORM_ARRAY,
  OL_GUI_FORM_OBJECT,
  OL_GUI_FORM_IMAGE,
  OL_GUI_FORM_STRING,   /* fields only */
  OL_GUI_FORM_BOOLEAN,  /* fields only */
} OlGuiForm;

/* Which limits are given, and their values. */
typedef enum {
  OL_GUI_LIMIT_WARNING_LOW = 1 << 0,
  OL_GUI_LIMIT_WARNING_HIGH = 1 << 1,
  OL_GUI_LIMIT_ALARM_LOW = 1 << 2,
  OL_GUI_LIMIT_ALARM_HIGH = 1 << 3,
} OlGuiLimitFlags;

typedef struct {
  guint flags;          /* OlGuiLimitFlags: 0 means no limits */
  double warning_low;
  double warning_high;
  double alarm_low;
  double alarm_high;
} OlGuiLimits;

/* The level of a value or of a message. */
typedef enum {
  OL_GUI_LEVEL_NORMAL,
  OL_GUI_LEVEL_WARNING,
  OL_GUI_LEVEL_ALARM,
} OlGuiLevel;

typedef struct {
  char *name;           /* (owned) */
  OlGuiForm form;       /* NUMBER (the default), STRING or BOOLEAN */
  char *text;           /* (owned) (nullable) */
  char *unit;           /* (owned) (nullable) */
  int precision;        /* -1: not given */
  OlGuiLimits limits;
} OlGuiField;

typedef struct {
  char *text;           /* (owned) (nullable) */
  char *unit;           /* (owned) (nullable) */
  OlGuiForm form;
  guint length;         /* "array": 0 when not given; never trusted for sizes */
  char *x_unit;         /* (owned) (nullable) */
  double x_start;       /* 0 unless given */
  double x_step;        /* 1 unless given (always finite and above 0) */
  gboolean has_x;       /* "x" was given */
  int precision;        /* -1: not given */
  OlGuiLimits limits;
  OlGuiField *fields;   /* (owned) "object": n_fields valid fields, in order */
  guint n_fields;
} OlGuiDescription;

/* The description in a "streams" entry's "description" member (borrowed);
 * NULL when it is not a JSON object. (transfer full) */
OlGuiDescription *ol_gui_description_parse (json_t *json);

OlGuiDescription *ol_gui_description_ref (OlGuiDescription *description);
void ol_gui_description_unref (OlGuiDescription *description);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OlGuiDescription, ol_gui_description_unref)

/* The number fields of an object description, and whether they all have the
 * same unit (no unit counts as a unit). */
guint ol_gui_description_count_number_fields (const OlGuiDescription *description);
gboolean ol_gui_description_same_units (const OlGuiDescription *description);

/* The level of value v against limits (docs/PROTOCOL.md, "Limits"). */
OlGuiLevel ol_gui_limits_level (const OlGuiLimits *limits, double v);

/* The level a message's status bits say (OL_STATUS_ALARM, OL_STATUS_WARNING). */
OlGuiLevel ol_gui_level_from_status (guint32 status);

/* "warning 15…30 · alarm 5…40", "alarm ≤ 100"; "" without limits.
 * (transfer full) */
char *ol_gui_limits_format (const OlGuiLimits *limits);

/* The tooltip of a described stream: its text, then unit, form, length, x
 * axis, fields and limits in a short form. (transfer full) */
char *ol_gui_description_format (const OlGuiDescription *description);

/* "number", "array", ...; "" for OL_GUI_FORM_NONE. */
const char *ol_gui_form_name (OlGuiForm form);

G_END_DECLS
