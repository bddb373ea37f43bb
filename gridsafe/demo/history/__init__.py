"""A year of synthetic hazard cases for the 仙游县 demo, worked through the real services.

Two halves, split by concern:

* `plan.py` — `plan_history` is pure: from (cases, seed, the grids of each township) it decides, with one
  `random.Random(seed)`, every case's township, grid, category, report day and time, path through the tiers and
  final outcome. The same seed always gives the same plan.
* `generate_history` (`loader.py`) executes the plan, oldest case first: `actors.py` loads the people, units and
  grids once, `case_run.py` works each case through `case_report`, `attachment_add` and the action services at
  back-dated instants, so events, deadlines, frozen overdue facts, 督办 rows and notifications are all real. The
  last year ends at the real "now"; then the sweep runs at the real now until it has nothing left to do.
"""

from gridsafe.demo.history.loader import generate_history, module_figures
from gridsafe.demo.history.plan import CasePlan, plan_history, township_grids

__all__ = ["CasePlan", "generate_history", "module_figures", "plan_history", "township_grids"]
