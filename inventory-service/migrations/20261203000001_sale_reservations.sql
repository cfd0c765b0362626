-- A sale's reservations, for its live figures (GET /flash-sales/{id}/figures).
CREATE INDEX reservations_sale_idx ON reservations (flash_sale_id, created_at)
    WHERE flash_sale_id IS NOT NULL;
