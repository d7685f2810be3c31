/* plab-window-private.h: what the files of PlabWindow share.
 *
 * The window is split by concern: plab-window.c builds it and owns the
 * sidebar and the setup pane, plab-window-lesson.c fills the lesson panel and
 * its Try this steps and shows the welcome, plab-window-run.c runs demos through the runner
 * process and draws them live, plab-window-views.c shows recorded runs (one,
 * or two compared) in the chart tabs, plab-window-sweep.c holds the sweep
 * controls (worker counts, backends, repeats), plab-window-selection.c keeps
 * the demo, its parameters and the predictions in step with the run
 * selected in History.
 */
#pragma once

#include "plab-chart-view.h"
#include "plab-demo.h"
#include "plab-exercise-page.h"
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
  GtkSpinButton *workers_spin; /* checked as a parameter's field is (plab-param-editor.h) */
  GtkLabel *workers_problem;
  GtkSpinButton *run_repeat_spin; /* how often Run repeats (the sweep has repeat_spin) */
  GtkLabel *workers_help;
  GtkWidget *hosts_row; /* the mpi backend's host file (plab-window-mpi.c) */
  GtkEntry *hosts_entry;
  GtkLabel *hosts_help;
  GtkEntry *prediction_entry;
  GtkLabel *command_label;
  GtkBox *sweep_box;     /* filled by plab-window-sweep.c */
  GtkBox *shown_run_box; /* filled by plab-window-selection.c */
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
  GtkWidget *exercise_page; /* the Exercises page, in place of the rest while shown */
  gboolean show_exercises;

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

  /* Sweep controls (plab-window-sweep.c) */
  GtkEntry *sweep_counts_entry;
  GtkSpinButton *repeat_spin;
  GtkCheckButton *sweep_checks[PLAB_BACKEND_MPI + 1]; /* by PlabBackend */
  GtkWidget *sweep_controls;
  GtkLabel *sweep_reason;

  /* The selected run (plab-window-selection.c) */
  GtkLabel *shown_run_label;
  GtkWidget *run_again_button;
  gint64 selected_run_id;              /* the run "Run again with these" copies; 0: none */
  gboolean following_history;          /* the demo changes because a run was selected */
  GHashTable *predictions;             /* demo name -> the prediction text typed for it */
  GHashTable *sweep_predictions;       /* sweep id -> PlabSpeedupSeries predicted before it */
  PlabSpeedupSeries launch_prediction; /* the prediction of the sweep starting now */
  gboolean launch_has_prediction;

  /* Borrowed */
  const PlabDemo *demo;
};

/* plab-window.c */
void _plab_window_show_error (PlabWindow *self, const char *message);
void _plab_window_toast (PlabWindow *self, const char *message);
void _plab_window_set_status (PlabWindow *self, const char *message);
void _plab_window_update_actions (PlabWindow *self);
/* Why Run (@sweep FALSE) or Sweep cannot start now, in a sentence that
 * names what to fix (the parameter, Workers, the host file); NULL when it
 * can. Their tooltips say it, and so does the status line when their keys
 * are pressed. */
char *_plab_window_run_problem (PlabWindow *self, gboolean sweep);
void _plab_window_apply_try (PlabWindow *self, const PlabDemoTry *step);
PlabStore *_plab_window_get_store (PlabWindow *self);
int _plab_window_chart_theme (PlabWindow *self);
const char *_plab_window_selected_backend (PlabWindow *self);
void _plab_window_update_command_line (PlabWindow *self);

/* plab-window-mpi.c */
const char *_plab_window_mpi_unavailable (void);
gboolean _plab_window_mpi_ready (PlabWindow *self, gboolean sweep, char **why);
void _plab_window_mpi_add_args (PlabWindow *self, GStrvBuilder *builder, gboolean sweep);
void _plab_window_mpi_update (PlabWindow *self);
void _plab_window_mpi_init (PlabWindow *self);

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

/* plab-window-sweep.c */
void _plab_window_sweep_init (PlabWindow *self);
void _plab_window_sweep_set_demo (PlabWindow *self);
gboolean _plab_window_sweep_ready (PlabWindow *self);

/* The Workers field follows the demo: greyed, its help saying what sets
 * the workers instead, for a demo with no worker axis. */
void _plab_window_workers_follow_demo (PlabWindow *self);
/* Why the sweep as set up cannot start, for a sentence; NULL when it can. */
char *_plab_window_sweep_problem (PlabWindow *self);
gboolean _plab_window_sweep_has_backend (PlabWindow *self, PlabBackend backend);
void _plab_window_sweep_add_args (PlabWindow *self, GStrvBuilder *builder);
void _plab_window_add_repeat_args (GStrvBuilder *builder, GtkSpinButton *spin);
int _plab_window_sweep_count_runs (PlabWindow *self);

/* plab-window-selection.c */
void _plab_window_selection_init (PlabWindow *self);
void _plab_window_selection_dispose (PlabWindow *self);
void _plab_window_selection_demo_changed (PlabWindow *self, const PlabDemo *old_demo);
void _plab_window_select_runs (PlabWindow *self, const gint64 *ids, guint n);
void _plab_window_demo_picked (PlabWindow *self);
void _plab_window_sweep_started (PlabWindow *self, gint64 sweep_id);
void _plab_window_sweep_launching (PlabWindow *self);
const PlabSpeedupSeries *_plab_window_prediction_for (PlabWindow *self, const PlabRunRecord *run);

/* plab-window-views.c */
void _plab_window_views_init (PlabWindow *self);
void _plab_window_views_dispose (PlabWindow *self);
void _plab_window_reload_history (PlabWindow *self);
void _plab_window_show_run (PlabWindow *self, gint64 run_id, gboolean keep_view);
void _plab_window_show_comparison (PlabWindow *self, gint64 run_a, gint64 run_b);
void _plab_window_show_nothing (PlabWindow *self);
gboolean _plab_window_is_loading (PlabWindow *self);
void _plab_window_cancel_loading (PlabWindow *self);
void _plab_window_update_prediction (PlabWindow *self);
const PlabRunRecord *_plab_window_history_run (PlabWindow *self, gint64 id);
void _plab_window_apply_theme (PlabWindow *self);

/* plab-window.c: adds CSS class @name to @widget when @on, else removes it. */
void _plab_widget_set_css_class (GtkWidget *widget, const char *name, gboolean on);

G_END_DECLS
