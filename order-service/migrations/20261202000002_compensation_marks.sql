-- Compensation undoes what was attempted, not only what was recorded
-- (docs/services.md, "Checkout saga"): a promo code's release is marked on
-- its own, since a redemption whose reply was lost is released too; and a
-- flash-sale claim compensation found still held is marked `kept`. Expand
-- only: older code never reads the column nor writes the new status.
ALTER TABLE orders ADD COLUMN promo_released boolean NOT NULL DEFAULT false;

ALTER TABLE orders DROP CONSTRAINT orders_stock_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_stock_status_check
    CHECK (stock_status IN ('none', 'held', 'committed', 'released', 'returned', 'kept'));
