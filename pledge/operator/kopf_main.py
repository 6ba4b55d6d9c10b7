"""For `kopf run -m pledge.operator.kopf_main`: importing this module registers the handlers in kopf's
default registry, configured from the PLEDGE_* variables (see pledge.operator.config).

kopf's runner only imports modules, so registering is this module's one job; nothing else imports it.
"""

import kopf

from pledge.operator.config import OperatorConfig
from pledge.operator.handlers import register

register(kopf.get_default_registry(), OperatorConfig())
