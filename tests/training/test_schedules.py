"""Learning-rate schedules against their closed forms."""

import numpy as np
import pytest

from skdeep.training.schedules import ADAPTIVE_MIN_LR, LearningRateSchedule


def _rates(schedule, n_epochs, samples_per_epoch=100):
    rates = [schedule.current]
    for e in range(1, n_epochs + 1):
        schedule.epoch_ends(e, e * samples_per_epoch)
        rates.append(schedule.current)
    return np.array(rates)


def test_constant():
    np.testing.assert_array_equal(
        _rates(LearningRateSchedule("constant", 0.1), 5), np.full(6, 0.1)
    )


def test_invscaling_is_sklearn_formula():
    rates = _rates(LearningRateSchedule("invscaling", 0.1, power_t=0.5), 3)
    expected = [0.1] + [0.1 / (100 * e + 1) ** 0.5 for e in (1, 2, 3)]
    np.testing.assert_allclose(rates, expected, rtol=1e-15)


def test_exponential():
    rates = _rates(LearningRateSchedule("exponential", 0.2, decay=0.9), 6)
    np.testing.assert_allclose(rates, 0.2 * 0.9 ** np.arange(7), rtol=1e-15)


def test_step():
    rates = _rates(LearningRateSchedule("step", 1.0, decay=0.5, step_size=3), 9)
    np.testing.assert_allclose(rates, 0.5 ** (np.arange(10) // 3), rtol=1e-15)


def test_adaptive_divides_by_five_then_stops():
    schedule = LearningRateSchedule("adaptive", 1e-4)
    assert schedule.on_plateau() is False
    assert schedule.current == pytest.approx(2e-5)
    assert schedule.on_plateau() is False
    assert schedule.current == pytest.approx(4e-6)
    assert schedule.on_plateau() is False
    assert schedule.current <= ADAPTIVE_MIN_LR
    assert schedule.on_plateau() is True


@pytest.mark.parametrize("kind", ["constant", "invscaling", "exponential", "step"])
def test_other_schedules_stop_on_plateau(kind):
    assert LearningRateSchedule(kind, 0.1).on_plateau() is True
