"""The disbursement partner is chosen by configuration; a missing key is named before any money
moves."""

import pytest

from keranjang.payments.disbursement_choice import DisburserChoice, disburser_from_settings
from keranjang.payments.iris import IrisPartner
from keranjang.payments.xendit_disbursements import XenditDisbursements


def test_none_sends_nothing_and_each_partner_gets_its_adapter() -> None:
    assert disburser_from_settings(DisburserChoice("none")) is None
    xendit = disburser_from_settings(DisburserChoice("xendit", "xnd_secret", "token"))
    assert isinstance(xendit, XenditDisbursements) and xendit.name == "xendit"
    iris = disburser_from_settings(
        DisburserChoice("midtrans", iris_creator_key="creator", iris_merchant_key="merchant")
    )
    assert isinstance(iris, IrisPartner) and iris.name == "midtrans"
    assert iris.base_url == "https://app.sandbox.midtrans.com/iris"
    sim = disburser_from_settings(
        DisburserChoice("simulator", simulator_url="http://sim:8003/", simulator_server_key="k")
    )
    assert isinstance(sim, IrisPartner) and sim.name == "simulator"
    assert sim.base_url == "http://sim:8003/iris"


@pytest.mark.parametrize(
    ("choice", "named"),
    [
        (DisburserChoice("xendit", None, "token"), "xendit_secret_key"),
        (DisburserChoice("xendit", "secret", " "), "xendit_callback_token"),
        (DisburserChoice("midtrans", iris_merchant_key="m"), "iris_creator_key"),
        (DisburserChoice("midtrans", iris_creator_key="c"), "iris_merchant_key"),
        (DisburserChoice("simulator"), "simulator_server_key"),
    ],
)
def test_a_missing_key_is_named(choice: DisburserChoice, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        disburser_from_settings(choice)
