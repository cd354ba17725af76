//! wizard (being written)
