"""The supervisor dashboard: leads, calls, handoffs and conversations in figures, per region."""

from bot.dashboard.service import PERIODS, Dashboard, DashboardError, DashboardService, Figure
from bot.dashboard.tracker import TrackerEvents

__all__ = ["PERIODS", "Dashboard", "DashboardError", "DashboardService", "Figure", "TrackerEvents"]
