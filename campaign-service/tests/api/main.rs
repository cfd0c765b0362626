mod campaigns;
mod contract;
mod emails;
mod end_to_end;
mod faults;
mod helpers;
mod lambda;
mod promo_codes;
