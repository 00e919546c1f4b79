"""开通县区 (issue 16 item 5; GOV-3, GOV-5, GOV-17, STD-1): a county that is not in the demo is
onboarded from three files, and a checklist says what is still missing before it can take
its first application and pay it.

The files (``docs/onboarding.md``; an example in ``docs/onboarding/example/``):

- ``areas.csv``: the county's 统计用区划代码 tree in the area importer's format
  (``code,name,parent,urban_rural``);
- ``staff.xlsx``: one row per staff account (用户名, 姓名, 岗位, 所属区划代码, 所属部门);
- ``county.yaml``: its documents' numbering, issuer and 救济途径 bodies (dated, with their
  document), departments, the programs the county
  runs, the procedure preset with its document, the 低保 standards with theirs, and who of
  the staff entered and who confirmed them (two persons).

Everything is read and checked first; every problem is named with its file, row and column,
and then nothing is written. The writing runs in one transaction, step by step (a function
per step), each step writing its audit rows; a step that finds its work done leaves it, so a
second run changes nothing. A dry run is the same run rolled back: the confirmation page
shows exactly what the real run will do.

Passwords are never in the files: each new account gets a random one-time password, returned
once by ``onboard`` (the command writes them to a 0600 file; the page shows them once).
"""

from .missing import checklist, missing_items
from .read import read_directory, read_package
from .spec import (
    AREAS_FILE,
    COUNTY_FILE,
    FILES,
    REQUIRED_ROLES,
    STAFF_COLUMNS,
    STAFF_FILE,
    STANDARDS,
    AreaRow,
    ChecklistItem,
    CountySpec,
    OnboardingInvalid,
    Package,
    ProgramDetails,
    Report,
    StaffRow,
    Standard,
)
from .steps import (
    apply_procedure_preset,
    choose_programs,
    configure_documents,
    create_departments,
    create_staff,
    enter_standards,
    import_area_tree,
    install_bank_layouts,
    new_password,
    onboard,
)

__all__ = [
    "AREAS_FILE",
    "COUNTY_FILE",
    "FILES",
    "REQUIRED_ROLES",
    "STAFF_COLUMNS",
    "STAFF_FILE",
    "STANDARDS",
    "AreaRow",
    "ChecklistItem",
    "CountySpec",
    "OnboardingInvalid",
    "Package",
    "ProgramDetails",
    "Report",
    "StaffRow",
    "Standard",
    "apply_procedure_preset",
    "checklist",
    "choose_programs",
    "configure_documents",
    "create_departments",
    "create_staff",
    "enter_standards",
    "import_area_tree",
    "install_bank_layouts",
    "missing_items",
    "new_password",
    "onboard",
    "read_directory",
    "read_package",
]
