//! Forecasting: features, linfa models, backtests and model cards (not built yet).
