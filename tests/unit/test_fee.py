"""spec.fee: a credit's percent as money, exact to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pledge.sla import SpecError, parse_sla
from pledge.sla.model import Fee
from pledge.slo.budget import credit_amount
from tests.support.slas import document


@pytest.mark.parametrize(("percent", "amount", "owed"), [
    ("10", "12500", "1250.00"),
    ("2.5", "999.99", "25.00"),   # 24.99975: the half cent and more goes to the customer
    ("0.1", "0.05", "0.00"),
    ("100", "12000.50", "12000.50"),
    ("33.3", "100", "33.30"),
])
def test_credit_amount_is_the_percent_of_the_fee_to_the_cent(percent: str, amount: str, owed: str) -> None:
    assert credit_amount(Decimal(percent), Fee(amount=amount, currency="EUR")) == Decimal(owed)  # type: ignore[arg-type]


def test_a_fee_is_exact_money_with_a_currency_code() -> None:
    sla = parse_sla(document("checkout", fee={"amount": "12000.50", "currency": "EUR"}))
    assert sla.spec.fee is not None and sla.spec.fee.amount == Decimal("12000.50")
    with pytest.raises(SpecError, match=r"spec\.fee\.amount.*never a float"):
        parse_sla(document("checkout", fee={"amount": 12000.5, "currency": "EUR"}))
    with pytest.raises(SpecError, match=r"spec\.fee\.currency"):
        parse_sla(document("checkout", fee={"amount": "100", "currency": "euro"}))
