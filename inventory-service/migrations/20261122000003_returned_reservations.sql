-- A committed reservation whose order was cancelled before it shipped gives
-- its units back to stock: status `returned`.
ALTER TABLE reservations DROP CONSTRAINT reservations_status_check;
ALTER TABLE reservations ADD CONSTRAINT reservations_status_check
    CHECK (status IN ('held', 'committed', 'released', 'expired', 'returned'));
ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_kind_check;
ALTER TABLE stock_movements ADD CONSTRAINT stock_movements_kind_check
    CHECK (kind IN ('set', 'adjustment', 'sale', 'return'));
