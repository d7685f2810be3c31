/* plab-window-private.h: what the files of PlabWindow share.
 *
 * The window is split by concern: plab-window.c builds it and owns the
 * sidebar and the setup pane, plab-window-lesson.c fills the lesson panel and
 * its Try this steps and shows the welcome, plab-window-run.c runs demos through the runner
 * process and draws them live, plab-window-views.c shows recorded runs (one,
 * or two compared) in the chart tabs.
 */
#pragma once

#include "plab-chart-view.h"
#include "plab-demo.h"
#include "plab-history-list.h"
#include "plab-param-editor.h"
#include "plab-run-data.h"
#include "plab-runner-client.h"
#include "plab-timeline-view.h"
#include "plab-window.h"

G_BEGIN_DECLS

struct _PlabWindow
{
  AdwApplicationWindow parent_instance;

  /* Template widgets */
  GtkWidget *header_bar;
  GtkRevealer *error_revealer;
  GtkLabel *error_label;
  AdwToastOverlay *toast_overlay;
  GtkWidget *sidebar;
  GtkListBox *demo_list;
  PlabHistoryList *history_list;
  GtkLabel *demo_title;
  GtkLabel *demo_summary;
  GtkLabel *demo_lesson;
  GtkExpander *lesson_expander;
  GtkWidget *try_heading;
  GtkBox *try_box;
  PlabParamEditor *param_editor;
  GtkDropDown *backend_dropdown;
  GtkLabel *backend_help;
  GtkSpinButton *workers_spin;
  GtkLabel *workers_help;
  GtkEntry *prediction_entry;
  GtkLabel *command_label;
  GtkWidget *run_button;
  GtkWidget *sweep_button;
  GtkWidget *setup_pane;
  GtkPaned *inner_paned;
  GtkWidget *welcome_box;
  GtkWidget *status_bar;
  GtkStack *view_stack;
  PlabTimelineView *timeline_view;
  PlabTimelineView *compare_view;
  PlabChartView *time_view;
  PlabChartView *speedup_view;
  PlabChartView *result_view;
  GtkLabel *status_label;
  GtkProgressBar *progress_bar;

  /* Owned */
  char *db_path;
  char *runner_path;
  PlabStore *store; /* read-only, opened once the file exists */
  PlabRunnerClient *runner;
  GPtrArray *backend_names; /* the backends of the selected demo, as in the drop-down */
  PlabRunData *shown;       /* the run in the views */
  PlabRunData *compared;    /* the second run of a comparison, or NULL */
  PlabSpeedupChartData speedup_shown;
  PlabSpeedupSeries prediction;
  gboolean have_prediction;
  gboolean presentation;
  gboolean show_sidebar;
  gboolean sidebar_before_presentation;
  int setup_width_before_presentation;
  gboolean chart_only;
  gboolean show_lesson;

  /* A recorded run loading in a worker thread */
  GCancellable *loading; /* NULL when nothing is loading */
  guint load_generation; /* the newest load; answers of older ones are dropped */
  guint loading_source;  /* shows loading_text in the timeline after a while */
  char *loading_text;
  char *idle_placeholder; /* the timeline's placeholder when nothing loads */

  /* Runs other windows and terminals record in the same store */
  guint store_poll_source;
  gint64 store_version; /* plab_store_data_version () when History last read it */

  /* The live run */
  GArray *live_lanes;       /* PlabLaneInfo */
  GArray *live_spans;       /* PlabEvent */
  GArray *live_counters;    /* PlabEvent */
  GArray *pending_spans;    /* PlabEvent that arrived while a build read the live arrays */
  GArray *pending_counters; /* PlabEvent */
  GArray *live_open;        /* PlabEvent: the spans going on now, by lane, end_ns == start_ns */
  GArray *live_coverage;    /* PlabTimelineCoverage: what the spans left out covered */
  gint64 live_left_out;     /* spans and samples the stream left out of the run so far */
  gint64 live_run_id;
  gint64 live_started_us; /* monotonic time of its "run" event */
  gint64 last_run_id;     /* the newest run the runner reported */
  gboolean live_dirty;
  gboolean live_building; /* a data set is being built in a worker thread */
  guint live_generation;  /* bumped when the live data changes owner: late builds are dropped */
  guint rebuild_source;
  guint tick_source;
  gint64 rebuild_cost_us;
  int runs_expected; /* runs the launch will make (a sweep makes several) */
  int runs_ended;
  gboolean sweeping;
  gboolean closing; /* closed mid-run: destroyed once the runner has finished */

  /* Borrowed */
  const PlabDemo *demo;
};

/* plab-window.c */
void _plab_window_show_error (PlabWindow *self, const char *message);
void _plab_window_toast (PlabWindow *self, const char *message);
void _plab_window_set_status (PlabWindow *self, const char *message);
void _plab_window_update_actions (PlabWindow *self);
void _plab_window_apply_try (PlabWindow *self, const PlabDemoTry *step);
PlabStore *_plab_window_get_store (PlabWindow *self);
int _plab_window_chart_theme (PlabWindow *self);
const char *_plab_window_selected_backend (PlabWindow *self);

/* plab-window-lesson.c */
void _plab_window_show_lesson (PlabWindow *self, const PlabDemo *demo);
void _plab_window_update_welcome (PlabWindow *self);

/* plab-window-run.c */
void _plab_window_run_init (PlabWindow *self);
void _plab_window_run_dispose (PlabWindow *self);
void _plab_window_run (PlabWindow *self, gboolean sweep);
void _plab_window_stop (PlabWindow *self);
gboolean _plab_window_close_request (PlabWindow *self);
char **_plab_window_build_args (PlabWindow *self, gboolean sweep);

/* plab-window-views.c */
void _plab_window_views_init (PlabWindow *self);
void _plab_window_views_dispose (PlabWindow *self);
void _plab_window_reload_history (PlabWindow *self);
void _plab_window_show_run (PlabWindow *self, gint64 run_id, gboolean keep_view);
void _plab_window_show_comparison (PlabWindow *self, gint64 run_a, gint64 run_b);
gboolean _plab_window_is_loading (PlabWindow *self);
void _plab_window_cancel_loading (PlabWindow *self);
void _plab_window_update_prediction (PlabWindow *self);
void _plab_window_apply_theme (PlabWindow *self);

G_END_DECLS
