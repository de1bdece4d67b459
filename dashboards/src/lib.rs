//! Charts and HTML pages of what Caretaker believes (not built yet).
