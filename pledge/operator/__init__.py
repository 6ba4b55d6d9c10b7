"""The pledge Kubernetes operator: ServiceLevelAgreement resources reconciled into owned rule objects.

Importing it registers nothing: `pledge operator` (pledge.commands.operator) and the tests build their own
registries; `kopf run -m pledge.operator.kopf_main` fills kopf's default one.
"""

from pledge.operator.config import OperatorConfig
from pledge.operator.handlers import Operator, register

__all__ = ["Operator", "OperatorConfig", "register"]
