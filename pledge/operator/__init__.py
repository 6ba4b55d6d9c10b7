"""The pledge Kubernetes operator: ServiceLevelAgreement resources reconciled into owned rule objects.

`kopf run -m pledge.operator` imports this package: the handlers go into kopf's default registry,
configured from the PLEDGE_* environment variables (see pledge.operator.config). `pledge operator`
(pledge.operator.cli) builds its own registry from its options instead.
"""

import kopf

from pledge.operator.config import OperatorConfig
from pledge.operator.handlers import Operator, register

__all__ = ["Operator", "OperatorConfig", "register"]

register(kopf.get_default_registry(), OperatorConfig.from_env())
