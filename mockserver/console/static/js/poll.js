// Live updates by polling: short GETs on a timer, one at a time per task, paused while the tab is hidden.
// No server-sent events, no long poll: the mock has few request threads and a console must not hold one.

const listeners = new Set();

/** Tell `fn(ok, error)` how each poll went (the header's live indicator). */
export function onPollResult(fn) {
  listeners.add(fn);
}

function report(ok, error) {
  for (const fn of listeners) fn(ok, error);
}

/** The timers of one view: closed when the view is left. */
export class Scope {
  constructor() {
    this.closed = false;
    this.timers = new Set();
    this.wakers = new Set();
  }

  /** Run `task` now and then `ms` after each run ends, while this scope is open and the page is visible. */
  every(ms, task) {
    const run = async () => {
      if (this.closed) return;
      if (document.hidden) {
        const wake = () => {
          document.removeEventListener("visibilitychange", wake);
          this.wakers.delete(wake);
          run();
        };
        this.wakers.add(wake);
        document.addEventListener("visibilitychange", wake);
        return;
      }
      try {
        await task();
        report(true);
      } catch (error) {
        report(false, error);
      }
      if (this.closed) return;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        run();
      }, ms);
      this.timers.add(timer);
    };
    run();
  }

  close() {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    for (const wake of this.wakers) document.removeEventListener("visibilitychange", wake);
    this.timers.clear();
    this.wakers.clear();
  }
}
